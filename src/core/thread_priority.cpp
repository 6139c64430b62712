#include "percept/core/thread_priority.hpp"

#if defined(__linux__)
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace percept {

#if defined(__linux__)
// On Linux PRIO_PROCESS with a thread id addresses that one thread (nice is per thread).
bool lower_thread_priority() {
  const int now = thread_nice();
  if (now >= kBackgroundNice) return true;
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice) == 0;
}

int thread_nice() {
  errno = 0;
  const int v = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  return errno == 0 ? v : 0;
}

void name_this_thread(std::string_view name) {
  char buf[16] = {};
  name.copy(buf, sizeof buf - 1);
  pthread_setname_np(pthread_self(), buf);
}
#else
void name_this_thread(std::string_view) {}
bool lower_thread_priority() {
  return false;
}
int thread_nice() {
  return 0;
}
#endif

}  // namespace percept
