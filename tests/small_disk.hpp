#pragma once
// A real full disk for a test: a small tmpfs mounted on a directory (root only), and a filler file that
// takes every byte of it.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace kiosk::test {

class SmallDisk {
public:
    // Mounts a tmpfs of `bytes` on `dir` (created). Null, with `why_not` set, when this process may not
    // mount (not root, or a container without CAP_SYS_ADMIN): the caller skips the test with that.
    static std::unique_ptr<SmallDisk> mount(const std::filesystem::path& dir, std::size_t bytes,
                                            std::string& why_not) {
        if (::geteuid() != 0) {
            why_not = "mounting a small tmpfs needs root";
            return nullptr;
        }
        std::filesystem::create_directories(dir);
        const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
        if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
            why_not = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
            return nullptr;
        }
        return std::unique_ptr<SmallDisk>(new SmallDisk(dir));
    }

    ~SmallDisk() { ::umount2(dir_.c_str(), MNT_DETACH); }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return dir_; }

    // Writes a filler file until the disk refuses with ENOSPC (then no byte is left).
    void fill() {
        const auto file = dir_ / "filler";
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + file.string());
        std::array<char, 4096> block{};
        int err = 0;
        for (std::size_t chunk = block.size(); chunk > 0 && err == 0;) {
            const auto n = ::write(fd, block.data(), chunk);
            if (n < 0) {
                if (errno == ENOSPC && chunk > 1) {
                    chunk /= 2; // fill the last partial page too
                    continue;
                }
                err = errno;
            }
        }
        ::close(fd);
        if (err != ENOSPC) throw std::system_error(err, std::generic_category(), "filling " + dir_.string());
    }

    // Gives the filler's space back.
    void make_room() { std::filesystem::remove(dir_ / "filler"); }

private:
    explicit SmallDisk(std::filesystem::path dir) : dir_(std::move(dir)) {}
    std::filesystem::path dir_;
};

} // namespace kiosk::test
