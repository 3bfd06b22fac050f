#include "kiosk/app/script.hpp"

#include <gtest/gtest.h>

using kiosk::app::parse_script;
using Kind = kiosk::app::ScriptStep::Kind;

TEST(Script, ParsesStepsFromLinesAndSemicolons) {
    const auto p =
        parse_script("tap feature.queue; wait choose_service\n# comment\ndrag service.KBH -300\n"
                     "tap-at 10 20; sleep 50; screenshot /tmp/a.png; measure 100; wait-sync; quit\n",
                     "s.txt");
    ASSERT_TRUE(p.errors.empty());
    ASSERT_EQ(p.steps.size(), 9u);
    EXPECT_EQ(p.steps[0].kind, Kind::Tap);
    EXPECT_EQ(p.steps[0].arg, "feature.queue");
    EXPECT_EQ(p.steps[1].kind, Kind::Wait);
    EXPECT_EQ(p.steps[2].kind, Kind::Drag);
    EXPECT_EQ(p.steps[2].count, -300);
    EXPECT_EQ(p.steps[2].line, 3);
    EXPECT_EQ(p.steps[3].kind, Kind::TapAt);
    EXPECT_FLOAT_EQ(p.steps[3].y, 20.0f);
    EXPECT_EQ(p.steps[4].count, 50);
    EXPECT_EQ(p.steps[5].arg, "/tmp/a.png");
    EXPECT_EQ(p.steps[6].count, 100);
    EXPECT_EQ(p.steps[7].kind, Kind::WaitSync);
    EXPECT_EQ(p.steps[8].kind, Kind::Quit);
}

TEST(Script, WaitTakesAScreenAndOptionallyItsSeconds) {
    const auto p = parse_script("wait bills; wait pay_by_qr 60; wait x 0; wait x y; wait", "s.txt");
    ASSERT_EQ(p.steps.size(), 2u);
    EXPECT_EQ(p.steps[0].count, 10) << "the default";
    EXPECT_EQ(p.steps[1].arg, "pay_by_qr");
    EXPECT_EQ(p.steps[1].count, 60);
    EXPECT_EQ(p.errors.size(), 3u);
}

TEST(Script, WaitFileTakesOnePath) {
    const auto p = parse_script("wait-file /tmp/go; wait-file\nwait-file a b", "s.txt");
    ASSERT_EQ(p.steps.size(), 1u);
    EXPECT_EQ(p.steps[0].kind, Kind::WaitFile);
    EXPECT_EQ(p.steps[0].arg, "/tmp/go");
    ASSERT_EQ(p.errors.size(), 2u);
    EXPECT_EQ(p.errors[0].rfind("s.txt:1:", 0), 0u);
    EXPECT_EQ(p.errors[1].rfind("s.txt:2:", 0), 0u);
}

TEST(Script, ReportsEachBadStepWithItsLine) {
    const auto p = parse_script("tap\nsleep -1\nfly away\nmeasure 0\ntap ok", "s.txt");
    ASSERT_EQ(p.errors.size(), 4u);
    EXPECT_EQ(p.errors[0].rfind("s.txt:1:", 0), 0u);
    EXPECT_EQ(p.errors[2].rfind("s.txt:3:", 0), 0u);
    ASSERT_EQ(p.steps.size(), 1u);
    EXPECT_EQ(p.steps[0].line, 5);
}

TEST(Script, SlowFramesTakesMillisecondsWithinBounds) {
    const auto p = parse_script("slow-frames 100\nslow-frames 0\nslow-frames -5\nslow-frames 99999", "s.txt");
    ASSERT_EQ(p.errors.size(), 2u);
    EXPECT_EQ(p.errors[0].rfind("s.txt:3:", 0), 0u);
    EXPECT_EQ(p.errors[1].rfind("s.txt:4:", 0), 0u);
    ASSERT_EQ(p.steps.size(), 2u);
    EXPECT_EQ(p.steps[0].kind, Kind::SlowFrames);
    EXPECT_EQ(p.steps[0].count, 100);
    EXPECT_EQ(p.steps[1].count, 0);
}

TEST(Script, ScanWithoutEnterKeepsItsTextAndSendsNoEnter) {
    const auto p = parse_script("scan-without-enter 079|a b\nscan 079|a b", "s.txt");
    ASSERT_TRUE(p.errors.empty());
    ASSERT_EQ(p.steps.size(), 2u);
    EXPECT_EQ(p.steps[0].kind, Kind::Keys);
    EXPECT_EQ(p.steps[0].arg, "079|a b");
    EXPECT_FALSE(p.steps[0].enter);
    EXPECT_TRUE(p.steps[1].enter);
}
