#pragma once
// Cooperative cancellation of long library jobs: the caller owns a flag (the CLI sets it from
// SIGINT/SIGTERM); the job polls it at safe points and unwinds with Error("interrupted"), so
// every RAII cleanup (temporary outputs) runs.
#include <atomic>

#include "util/error.h"

namespace finefp8 {

inline void throw_if_interrupted(const std::atomic<bool>* interrupt) {
  if (interrupt != nullptr && interrupt->load()) fail("interrupted");
}

}  // namespace finefp8
