#pragma once
// Names the calling thread (Linux: at most 15 characters are kept), so top -H,
// perf and /proc/<pid>/task/*/comm tell the service's threads apart.
#include <pthread.h>

#include <string>

namespace leadbase {

inline void name_this_thread(const std::string& name) {
  ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

} // namespace leadbase
