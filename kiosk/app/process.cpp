#include "kiosk/app/process.hpp"

#include "kiosk/app/startup_error.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace kiosk::app {
namespace {

std::string errno_text(int err) {
    return std::error_code(err, std::generic_category()).message();
}

std::string octal(mode_t mode) {
    std::array<char, 8> text{};
    std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
    return text.data();
}

// Removes the group and other bits of `path` (a directory or a regular file; anything else is left alone).
void make_private(const std::filesystem::path& path, std::vector<std::string>& changed) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return; // gone meanwhile
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return;
    const mode_t mode = st.st_mode & 07777;
    if ((mode & 077) == 0) return;
    const mode_t wanted = mode & ~static_cast<mode_t>(077);
    if (::chmod(path.c_str(), wanted) != 0)
        throw StartupError("cannot make " + path.string() + " private to the kiosk's user (mode " +
                           octal(mode) + " lets others read patient data; chmod failed: " +
                           errno_text(errno) + "): give the kiosk's user ownership of it");
    changed.push_back(path.string() + " was readable by other users (mode " + octal(mode) + "): now " +
                      octal(wanted));
}

} // namespace

void harden_process() {
    ::unsetenv("SSLKEYLOGFILE");
    (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    const rlimit no_core{0, 0};
    (void)::setrlimit(RLIMIT_CORE, &no_core);
    ::umask(077);
}

std::string hardening_summary() {
    rlimit core{};
    const bool limit_read = ::getrlimit(RLIMIT_CORE, &core) == 0;
    const int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    const bool off = dumpable == 0 && limit_read && core.rlim_cur == 0 && core.rlim_max == 0;
    return std::string(off ? "core dumps are off" : "core dumps are NOT off") + " (dumpable " +
           std::to_string(dumpable) + ", core size limit " +
           (limit_read ? std::to_string(core.rlim_cur) : std::string("unknown")) +
           "), files private to the kiosk's user (umask 077)";
}

std::vector<std::string> restrict_data_dir(const std::filesystem::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        throw StartupError("cannot read the data dir " + dir.string() + ": " + errno_text(errno));
    if ((st.st_mode & S_ISVTX) != 0 && (st.st_mode & S_IWOTH) != 0)
        throw StartupError(
            "data dir " + dir.string() +
            " is a directory shared by every user (like /tmp): set data_dir in the site config "
            "to a directory of the kiosk's own, e.g. /var/lib/kiosk");
    std::vector<std::string> changed;
    make_private(dir, changed);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().filename().string().starts_with("kiosk")) make_private(entry.path(), changed);
    if (ec) throw StartupError("cannot list the data dir " + dir.string() + ": " + ec.message());
    return changed;
}

void lock_data_dir(const std::filesystem::path& dir) {
    const auto file = dir / "kiosk.lock";
    // Never closed: the lock lasts exactly as long as the process (the kernel drops it on any exit).
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw StartupError("cannot open the lock file " + file.string() + ": " + errno_text(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        std::array<char, 32> pid{};
        const auto n = ::pread(fd, pid.data(), pid.size() - 1, 0);
        ::close(fd);
        std::string holder(pid.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r'))
            holder.pop_back();
        if (err == EWOULDBLOCK)
            throw StartupError("another kiosk" + (holder.empty() ? std::string() : " (pid " + holder + ")") +
                               " is already running on the data dir " + dir.string() + " (it holds " +
                               file.string() +
                               "): stop it first, or give each kiosk its own data_dir in the site config");
        throw StartupError("cannot lock " + file.string() + ": " + errno_text(err));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
}

} // namespace kiosk::app
