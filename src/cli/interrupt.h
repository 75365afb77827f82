#pragma once
// Ctrl-C / SIGTERM for long commands: instead of dying mid-write, the command sees the flag,
// stops, cleans up its temporary output and reports "interrupted".
#include <atomic>

namespace finefp8::cli {

// Installs SIGINT and SIGTERM handlers (once) and returns the flag they set.
const std::atomic<bool>* install_interrupt_handler();

}  // namespace finefp8::cli
