#!/usr/bin/env bash
# herald decode, row by row, on the shipped example config: each line's verdict and how a valid
# one would be sent, the exit code 4 when a line is invalid, 0 when none is, and --json.
set -euo pipefail
herald="$1" config="$2"
vars=()
while read -r name; do vars+=("$name=placeholder-0123456789"); done < <(grep -o '\${[A-Za-z0-9_]*}' "$config" | tr -d '${}' | sort -u)
decode() { env "${vars[@]}" "$herald" decode -c "$config" "$@"; }
fail() { echo "FAIL: $*" >&2; echo "--- output:" >&2; echo "$out" >&2; exit 1; }

input='{"event_id":"evt-1","account":"shop-a","order_id":"1","recipient":{"oaid":"AAE"},"sign_name":"S","template_code":"SMS_1"}
{"account":"shop-b-douyin","order_id":"2","recipient":{"by_order":true},"sign_name":"S","template_code":"ST_1","category":"marketing"}

{"account":"brand-sms","order_id":"3","recipient":{"oaid":"x"},"sign_name":"S","template_code":"SMS_2"}
not json
{"event_id":"e4","account":"shop-x","order_id":"4","recipient":{"oaid":"x"},"sign_name":"S","template_code":"T"}'

set +e
out=$(printf '%s\n' "$input" | decode)
code=$?
set -e
[[ $code == 4 ]] || fail "exit code $code with invalid lines, expected 4"
grep -qx 'line 1: valid: event_id evt-1, account shop-a (fw199_taobao, fw199 Taobao OAID batch, https://[^)]*), recipient oaid, sign_name S, template SMS_1, transactional' <<<"$out" || fail "line 1"
grep -q '^line 2: valid: event_id d:[0-9a-f]\{32\} (derived), account shop-b-douyin (fw199_douyin, fw199 抖店 SMS batch, biz_type 1 (the order.s buyer), .*recipient by_order, .*marketing$' <<<"$out" || fail "line 2"
grep -q '^line 3:' <<<"$out" && fail "the empty line 3 was reported"
grep -qx 'line 4: invalid: recipient: account "brand-sms" (aliyun_sms) needs {"phone": ...}, got {"oaid": ...}' <<<"$out" || fail "line 4"
grep -q '^line 5: invalid: not JSON: ' <<<"$out" || fail "line 5"
grep -qx 'line 6: invalid: account: "shop-x" is not a configured account' <<<"$out" || fail "line 6"
grep -qx '2 valid, 3 invalid' <<<"$out" || fail "counts"

out=$(head -n 2 <<<"$input" | decode) || fail "exit code $? for valid lines only, expected 0"
grep -qx '2 valid, 0 invalid' <<<"$out" || fail "valid-only counts"

set +e
out=$(printf '%s\n' "$input" | decode --json)
code=$?
set -e
[[ $code == 4 ]] || fail "--json: exit code $code, expected 4"
[[ $(wc -l <<<"$out") == 5 ]] || fail "--json: expected one line per non-empty input line"
grep -q '^{"line":1,"valid":true,"event_id":"evt-1",.*"gateway":"fw199_taobao",.*"recipient_kind":"oaid"' <<<"$out" || fail "--json line 1"
grep -q '^{"line":5,"valid":false,"error":"not JSON: ' <<<"$out" || fail "--json line 5"
echo "decode: all rows as expected"
