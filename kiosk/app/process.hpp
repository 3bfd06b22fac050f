#pragma once
// Start-up hardening of the kiosk process: what a machine holding patient data must not leak (core dumps,
// TLS secrets, world-readable files) and the one-kiosk-per-data-dir lock.
#include <filesystem>
#include <string>
#include <vector>

namespace kiosk::app {

// Call first in main, before any thread, SDL or curl exists: clears SSLKEYLOGFILE (libcurl would write
// the TLS session secrets there), disables core dumps (PR_SET_DUMPABLE 0, RLIMIT_CORE 0: a core holds
// patient data) and sets the umask to 077, so every file the kiosk creates is its user's alone.
void harden_process();

// One line for the log saying what harden_process() achieved, read back from the kernel.
[[nodiscard]] std::string hardening_summary();

// Makes an existing data dir 0700 and the kiosk's files in it (kiosk.db and its -wal/-shm, kiosk*.log,
// kiosk.lock) 0600. Returns one line per mode it had to change, for the log. Throws StartupError for a
// shared sticky directory (such as /tmp), which the kiosk must not take over.
std::vector<std::string> restrict_data_dir(const std::filesystem::path& dir);

// Takes an exclusive lock on <dir>/kiosk.lock (flock, held until the process ends) so that two kiosks
// never share one data dir. Throws StartupError naming the dir (and the other kiosk's pid) when another
// process holds it.
void lock_data_dir(const std::filesystem::path& dir);

} // namespace kiosk::app
