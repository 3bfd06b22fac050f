#pragma once
// Runs the script steps of --do/--script (script.hpp) one loop turn at a time, through the real input
// path: taps and keys go in as the devices deliver them (the host pushes SDL events), and the checks read
// what the last frame drew. It talks to the kiosk only through ScriptHost (the shell) and ScriptView (the
// app), so it has no SDL and a test gives it fakes.
#include "kiosk/app/frame_stats.hpp"
#include "kiosk/app/script.hpp"
#include "kiosk/ui/widgets.hpp"

#include <imgui.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::app {

// What a script reads of the app: the screen the flow shows and how far the HIS sync is.
class ScriptView {
public:
    struct Sync {
        bool known = false;
        bool online = false;
        std::int64_t waiting = 0;
        bool caught_up = false; // the status had seen the kick sent after the newest record
    };
    virtual ~ScriptView() = default;
    [[nodiscard]] virtual std::string screen_name() const = 0;
    [[nodiscard]] virtual Sync sync() const = 0;
};

// What a script sees of and does to the shell.
class ScriptHost {
public:
    virtual ~ScriptHost() = default;
    // What the last frame drew.
    [[nodiscard]] virtual const ui::TapTargets& targets() const = 0;
    [[nodiscard]] virtual ImVec2 display_size() const = 0;
    [[nodiscard]] virtual float font_px() const = 0;
    [[nodiscard]] virtual FrameSample last_frame() const = 0;
    // Frames: true while frames are still due (the screen has not settled); ask for one more.
    [[nodiscard]] virtual bool frames_pending() const = 0;
    virtual void want_frame() = 0;
    virtual void set_slow_frames(int ms) = 0;
    // The next frame is written to this PNG; pending until it is.
    virtual void request_screenshot(const std::filesystem::path& file) = 0;
    [[nodiscard]] virtual bool screenshot_pending() const = 0;
    // Input, as the devices deliver it (a finger, a keyboard-wedge scanner).
    virtual void finger_down(ImVec2 at) = 0;
    virtual void finger_move(ImVec2 at) = 0;
    virtual void finger_up(ImVec2 at) = 0;
    virtual void text_input(std::string_view utf8) = 0; // one SDL_TEXTINPUT event (< 32 bytes)
    virtual void enter_key() = 0;
    // Ends the kiosk with this exit status.
    virtual void stop(int exit_code) = 0;
};

class ScriptDriver {
public:
    using Now = std::function<std::chrono::steady_clock::time_point()>;
    ScriptDriver(std::vector<ScriptStep> steps, ScriptHost& host, const ScriptView& view,
                 Now now = std::chrono::steady_clock::now);

    // Advances the current step as far as it can this loop turn. Each phase of a tap runs after at least
    // one rendered frame, so ImGui sees press and release separately.
    void tick();
    // True until every step has run (the loop then polls instead of sleeping).
    [[nodiscard]] bool active() const { return step_ < steps_.size(); }
    // Fails the script (exit status 4) with this message, naming the step's line.
    void fail(const std::string& message);

private:
    using Clock = std::chrono::steady_clock;
    void next();
    void tap(const ScriptStep& st, Clock::duration since);
    void check_visible(const ScriptStep& st, Clock::duration since);
    void measure(const ScriptStep& st);
    void keys(const ScriptStep& st);

    std::vector<ScriptStep> steps_;
    ScriptHost& host_;
    const ScriptView& view_;
    Now now_;
    std::size_t step_ = 0;
    int step_phase_ = 0;
    Clock::time_point step_started_;
    std::vector<FrameSample> measured_;
    Clock::time_point measure_first_at_; // when the step's first sample was taken
    std::optional<ImVec2> drag_origin_;  // where the current scripted press started
    int step_phase_characters_ = 0;      // characters a keys step has typed so far
};

} // namespace kiosk::app
