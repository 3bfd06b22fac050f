#include "kiosk/app/frame_stats.hpp"

#include <gtest/gtest.h>

using kiosk::app::FrameSample;
using kiosk::app::measure_line;

TEST(FrameStats, LinePrintsImGuiCpuWholeFrameAndWallTime) {
    const std::vector<FrameSample> s = {{0.1, 40.0}, {0.3, 20.0}, {0.2, 30.0}};
    EXPECT_EQ(measure_line("KIOSK_MEASURE", "welcome", s, 31.5),
              "KIOSK_MEASURE screen=welcome frames=3 imgui_cpu_ms_mean=0.2000 p50=0.2000 p99=0.3000 "
              "frame_ms_mean=30.000 frame_p50=30.000 frame_p99=40.000 wall_ms_per_frame=31.500");
    EXPECT_EQ(measure_line("BARE_MEASURE", "", {{1.0, 2.0}}, 2.5),
              "BARE_MEASURE frames=1 imgui_cpu_ms_mean=1.0000 p50=1.0000 p99=1.0000 frame_ms_mean=2.000 "
              "frame_p50=2.000 frame_p99=2.000 wall_ms_per_frame=2.500");
    EXPECT_EQ(measure_line("KIOSK_MEASURE", "welcome", {}, 0), "");
}
