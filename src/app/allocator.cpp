// jemalloc's options, read by jemalloc at its first allocation (linked in by CMakeLists.txt).
// One arena: the worker allocates on one thread (librdkafka's threads little), and fewer arenas
// keep less memory. Freed pages go back to the system after 0.3 s rather than ten, so a drained
// backlog does not leave the pod's RSS at its peak (and garbage of the last moments does not add
// to the peak: 1 s gave 146-154 MB at 1M events with 3 MB of prefetch, bench/README.md).
#ifdef HERALD_WITH_JEMALLOC
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "narenas:1,dirty_decay_ms:300,muzzy_decay_ms:0";
}
#endif
