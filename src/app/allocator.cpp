// jemalloc's options, read by jemalloc at its first allocation (linked in by CMakeLists.txt).
// One arena: the worker allocates on one thread (librdkafka's threads little), and fewer arenas
// keep less memory. Freed pages go back to the system after a second rather than ten, so a
// drained backlog does not leave the pod's RSS at its peak.
#ifdef HERALD_WITH_JEMALLOC
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif
