#include "kiosk/app/frame_stats.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace kiosk::app {
namespace {

struct Summary {
    double mean = 0, p50 = 0, p99 = 0;
};

Summary summary(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    Summary s;
    s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    s.p50 = v[v.size() / 2];
    s.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
    return s;
}

} // namespace

std::string measure_line(std::string_view prefix, std::string_view screen,
                         const std::vector<FrameSample>& samples, double wall_ms_per_frame) {
    if (samples.empty()) return "";
    std::vector<double> cpu, whole;
    for (const auto& s : samples) {
        cpu.push_back(s.imgui_cpu_ms);
        whole.push_back(s.frame_ms);
    }
    const Summary c = summary(std::move(cpu));
    const Summary f = summary(std::move(whole));
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  " frames=%zu imgui_cpu_ms_mean=%.4f p50=%.4f p99=%.4f frame_ms_mean=%.3f frame_p50=%.3f "
                  "frame_p99=%.3f wall_ms_per_frame=%.3f",
                  samples.size(), c.mean, c.p50, c.p99, f.mean, f.p50, f.p99, wall_ms_per_frame);
    std::string line(prefix);
    if (!screen.empty()) {
        line += " screen=";
        line += screen;
    }
    line += buf;
    return line;
}

} // namespace kiosk::app
