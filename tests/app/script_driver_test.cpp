// The script driver against a fake shell and app and a manual clock: the steps' semantics, which the e2e
// tests rely on, without SDL.
#include "kiosk/app/script_driver.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace kiosk;
using namespace kiosk::app;
using std::chrono::milliseconds;

// The shell and the app at once.
struct FakeHost final : ScriptHost, ScriptView {
    std::string screen = "welcome";
    ui::TapTargets drawn;
    ImVec2 display{1080, 1920};
    bool pending = false;
    int frames_asked = 0;
    Sync sync_view;
    std::vector<std::string> input; // what reached the kiosk, in order
    std::optional<int> stopped;
    std::optional<std::filesystem::path> shot;

    [[nodiscard]] std::string screen_name() const override { return screen; }
    [[nodiscard]] const ui::TapTargets& targets() const override { return drawn; }
    [[nodiscard]] ImVec2 display_size() const override { return display; }
    [[nodiscard]] float font_px() const override { return 38; }
    [[nodiscard]] FrameSample last_frame() const override { return {0.1, 5.0}; }
    [[nodiscard]] bool frames_pending() const override { return pending; }
    void want_frame() override { ++frames_asked; }
    void set_slow_frames(int ms) override { input.push_back("slow " + std::to_string(ms)); }
    void request_screenshot(const std::filesystem::path& file) override { shot = file; }
    [[nodiscard]] bool screenshot_pending() const override { return shot.has_value(); }
    static std::string at(ImVec2 p) {
        return std::to_string(static_cast<int>(p.x)) + "," + std::to_string(static_cast<int>(p.y));
    }
    void finger_down(ImVec2 p) override { input.push_back("down " + at(p)); }
    void finger_move(ImVec2 p) override { input.push_back("move " + at(p)); }
    void finger_up(ImVec2 p) override { input.push_back("up " + at(p)); }
    void text_input(std::string_view utf8) override { input.push_back("text " + std::string(utf8)); }
    void enter_key() override { input.push_back("enter"); }
    [[nodiscard]] Sync sync() const override { return sync_view; }
    void stop(int exit_code) override { stopped = exit_code; }
};

struct Rig {
    FakeHost host;
    std::chrono::steady_clock::time_point now{};
    ScriptDriver driver;
    explicit Rig(const std::string& script)
        : driver(parse_script(script, "test").steps, host, host, [this] { return now; }) {}
    void pass(milliseconds ms) { now += ms; }
};

TEST(ScriptDriver, ATapPressesAndReleasesOnSeparateTurnsAtTheTargetsCentre) {
    Rig r("tap feature.queue; quit");
    r.host.drawn.add("feature.queue", ImVec2(100, 200), ImVec2(300, 400));
    r.driver.tick();
    EXPECT_EQ(r.host.input, (std::vector<std::string>{"move 200,300", "down 200,300"}));
    r.driver.tick();
    EXPECT_EQ(r.host.input.back(), "up 200,300");
    EXPECT_FALSE(r.host.stopped);
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 0);
}

TEST(ScriptDriver, ADragMovesInEightStepsFromWhereItPressed) {
    Rig r("drag list -80");
    r.host.drawn.add("list", ImVec2(0, 100), ImVec2(100, 300));
    r.driver.tick();                                          // press at (50, 200)
    r.host.drawn.add("list", ImVec2(0, 0), ImVec2(100, 200)); // the list scrolls under the finger
    for (int i = 0; i < 9; ++i)
        r.driver.tick();
    ASSERT_EQ(r.host.input.size(), 11u);
    EXPECT_EQ(r.host.input[2], "move 50,190");
    EXPECT_EQ(r.host.input[9], "move 50,120");
    EXPECT_EQ(r.host.input[10], "up 50,120");
    EXPECT_FALSE(r.driver.active());
}

TEST(ScriptDriver, ATapOnATargetThatNeverAppearsFailsAfterFiveSeconds) {
    Rig r("tap feature.queue");
    r.host.drawn.add("lang.en", ImVec2(0, 0), ImVec2(10, 10));
    r.driver.tick();
    r.pass(milliseconds(5000));
    r.driver.tick();
    EXPECT_FALSE(r.host.stopped);
    r.pass(milliseconds(1));
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 4);
    EXPECT_TRUE(r.host.input.empty());
}

TEST(ScriptDriver, ATapOnATargetOffTheScreenFails) {
    Rig r("tap ok");
    r.host.drawn.add("ok", ImVec2(100, 1900), ImVec2(300, 2000));
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 4);
    EXPECT_TRUE(r.host.input.empty());
}

TEST(ScriptDriver, WaitWaitsForTheScreenToSettle) {
    Rig r("wait choose_service; quit");
    r.driver.tick();
    EXPECT_TRUE(r.driver.active());
    r.host.screen = "choose_service";
    r.host.pending = true;
    r.driver.tick();
    r.driver.tick();
    EXPECT_FALSE(r.host.stopped) << "frames still due: not settled";
    r.host.pending = false;
    r.driver.tick();
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 0);
}

TEST(ScriptDriver, WaitForAScreenThatNeverComesFailsAfterTenSeconds) {
    Rig r("wait ticket");
    r.pass(milliseconds(10'001));
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 4);
}

TEST(ScriptDriver, AWaitWithItsOwnTimeWaitsThatLong) {
    Rig r("wait payment_received 40");
    r.pass(milliseconds(39'000));
    r.driver.tick();
    EXPECT_FALSE(r.host.stopped) << "39 s of its 40";
    r.pass(milliseconds(1'001));
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 4);
}

TEST(ScriptDriver, WaitSyncTakesOnlyAStatusThatHadSeenTheNewestRecordsKick) {
    Rig r("wait-sync; quit");
    r.host.sync_view = {true, true, 0, false}; // "0 waiting" from before the newest ticket was kicked
    for (int i = 0; i < 3; ++i)
        r.driver.tick();
    EXPECT_TRUE(r.driver.active());
    EXPECT_FALSE(r.host.stopped);
    r.host.sync_view.caught_up = true;
    r.host.sync_view.waiting = 1;
    r.driver.tick();
    EXPECT_FALSE(r.host.stopped) << "one record still waits";
    r.host.sync_view.waiting = 0;
    r.driver.tick();
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 0);
}

TEST(ScriptDriver, WaitSyncFailsAfterThirtySecondsOffline) {
    Rig r("wait-sync");
    r.host.sync_view = {true, false, 2, true};
    r.pass(milliseconds(30'001));
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 4);
}

TEST(ScriptDriver, AScanTypesWhatFellDueAtFourMillisecondsACharacterThenEnter) {
    Rig r("scan ABCDEFG; quit");
    r.driver.tick(); // t=0: the first character at once
    EXPECT_EQ(r.host.input, (std::vector<std::string>{"text A"}));
    r.pass(milliseconds(20)); // a slow frame: five more fell due meanwhile, at most four per event
    r.driver.tick();
    EXPECT_EQ(r.host.input, (std::vector<std::string>{"text A", "text BCDE", "text F"}));
    r.pass(milliseconds(4));
    r.driver.tick();
    EXPECT_EQ(r.host.input.back(), "text G");
    r.driver.tick();
    EXPECT_EQ(r.host.input.back(), "text G") << "Enter comes one character time after the last";
    r.pass(milliseconds(4));
    r.driver.tick();
    EXPECT_EQ(r.host.input.back(), "enter");
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 0);
}

TEST(ScriptDriver, AScanWithoutEnterSendsNoEnter) {
    Rig r("scan-without-enter AB; quit");
    r.driver.tick();
    r.pass(milliseconds(100));
    r.driver.tick();
    r.driver.tick();
    r.driver.tick();
    EXPECT_EQ(r.host.input, (std::vector<std::string>{"text A", "text B"}));
    EXPECT_EQ(r.host.stopped, 0);
}

TEST(ScriptDriver, APersonTypesOneKeyPerTurnAtMost) {
    Rig r("keys 100 ab; quit");
    r.driver.tick();
    r.pass(milliseconds(1000)); // ten keys' time passed, yet one key per loop turn
    r.driver.tick();
    EXPECT_EQ(r.host.input, (std::vector<std::string>{"text a", "text b"}));
    r.driver.tick();
    EXPECT_EQ(r.host.input.back(), "enter");
}

TEST(ScriptDriver, AScreenshotStepWaitsUntilTheFrameWroteIt) {
    Rig r("screenshot /tmp/x.png; quit");
    r.driver.tick();
    ASSERT_TRUE(r.host.shot);
    EXPECT_EQ(*r.host.shot, "/tmp/x.png");
    r.driver.tick();
    EXPECT_TRUE(r.driver.active());
    r.host.shot.reset(); // the frame wrote it
    r.driver.tick();
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 0);
}

TEST(ScriptDriver, SleepLetsTimePassWithoutInput) {
    Rig r("sleep 200; quit");
    r.pass(milliseconds(199));
    r.driver.tick();
    EXPECT_TRUE(r.driver.active());
    r.pass(milliseconds(1));
    r.driver.tick();
    r.driver.tick();
    EXPECT_EQ(r.host.stopped, 0);
    EXPECT_TRUE(r.host.input.empty());
}

TEST(ScriptDriver, AFailureFromTheHostNamesTheStepsLine) {
    Rig r("sleep 1\nscreenshot /dev/full/x.png");
    r.pass(milliseconds(1));
    r.driver.tick();
    r.driver.tick();
    testing::internal::CaptureStderr();
    r.driver.fail("cannot write screenshot");
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("script line 2: cannot write screenshot"), std::string::npos) << err;
    EXPECT_EQ(r.host.stopped, 4);
}

} // namespace
