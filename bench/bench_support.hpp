#pragma once
// Shared by kiosk_bench and sync_bench: what they print about the machine they ran on, number formatting,
// and their scratch directory.
#include <stdlib.h> // mkdtemp
#include <sys/vfs.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace kiosk::bench {

inline std::string fmt(double v, int precision) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", precision, v);
    return buf;
}

inline std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
        }
    return "unknown CPU";
}

inline std::string now_text() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm);
    return buf;
}

// The file system of dir ("ext2/3/4", ...). tmpfs_note follows "tmpfs": what a free fsync means for the
// figures of that benchmark.
inline std::string fs_type(const std::filesystem::path& dir, const char* tmpfs_note) {
    struct statfs s {};
    if (::statfs(dir.c_str(), &s) != 0) return "unknown";
    switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
        return "ext2/3/4";
    case 0x58465342:
        return "xfs";
    case 0x9123683E:
        return "btrfs";
    case 0x01021994:
        return std::string("tmpfs (fsync costs nothing: ") + tmpfs_note + ")";
    case 0x794C7630:
        return "overlayfs";
    case 0x2FC12FC1:
        return "zfs";
    case 0x6969:
        return "nfs";
    default: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(s.f_type));
        return buf;
    }
    }
}

// A fresh directory <parent>/<prefix>-XXXXXX, removed with everything in it at the end unless keep() was
// called (to look at the logs after a failure).
class TempDir {
public:
    TempDir(const std::filesystem::path& parent, const std::string& prefix) {
        std::filesystem::create_directories(parent);
        std::string templ = (parent / (prefix + "-XXXXXX")).string();
        if (!::mkdtemp(templ.data()))
            throw std::runtime_error("cannot create a temp dir in " + parent.string());
        path_ = templ;
    }
    ~TempDir() {
        std::error_code ec;
        if (!keep_) std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    void keep() { keep_ = true; }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    bool keep_ = false;
};

} // namespace kiosk::bench
