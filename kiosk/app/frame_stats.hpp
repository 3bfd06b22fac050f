#pragma once
// Per-frame figures of a `measure` script step (and of bench/bare_imgui --measure), printed as one line
// that kiosk_bench parses:
//   <PREFIX> screen=<name> frames=N imgui_cpu_ms_mean=.. p50=.. p99=.. frame_ms_mean=.. frame_p50=..
//            frame_p99=.. wall_ms_per_frame=..
// imgui_cpu: NewFrame..Render (ImGui's own CPU); frame: the whole frame, build + render + present;
// wall: the loop's time per frame with frames forced back to back (events, script, frame).
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::app {

// Milliseconds from a to b, with the fraction (timings in logs and figures).
[[nodiscard]] inline double ms_between(std::chrono::steady_clock::time_point a,
                                       std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

struct FrameSample {
    double imgui_cpu_ms = 0;
    double frame_ms = 0;
};

// p50 = v[n/2], p99 = v[min(n-1, n*99/100)] of the sorted samples; "" for no samples.
std::string measure_line(std::string_view prefix, std::string_view screen,
                         const std::vector<FrameSample>& samples, double wall_ms_per_frame);

} // namespace kiosk::app
