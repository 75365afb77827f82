#include "cli/interrupt.h"

#include <csignal>

namespace finefp8::cli {
namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void finefp8_on_signal(int) { g_interrupted = true; }
}  // namespace

const std::atomic<bool>* install_interrupt_handler() {
  static const bool installed = [] {
    std::signal(SIGINT, finefp8_on_signal);
    std::signal(SIGTERM, finefp8_on_signal);
    return true;
  }();
  (void)installed;
  return &g_interrupted;
}

}  // namespace finefp8::cli
