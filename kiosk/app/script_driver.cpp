#include "kiosk/app/script_driver.hpp"

#include "kiosk/app/frame_stats.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <system_error>

namespace kiosk::app {
namespace {

using Ms = std::chrono::milliseconds;

} // namespace

ScriptDriver::ScriptDriver(std::vector<ScriptStep> steps, ScriptHost& host, const ScriptView& view, Now now)
    : steps_(std::move(steps)), host_(host), view_(view), now_(std::move(now)), step_started_(now_()) {}

void ScriptDriver::fail(const std::string& message) {
    const int line = step_ < steps_.size() ? steps_[step_].line : 0;
    spdlog::error("script step {} (line {}) failed: {}", step_ + 1, line, message);
    std::fprintf(stderr, "kiosk: script line %d: %s\n", line, message.c_str());
    host_.stop(4);
}

void ScriptDriver::next() {
    ++step_;
    step_phase_ = 0;
    step_phase_characters_ = 0;
    step_started_ = now_();
    host_.want_frame();
}

void ScriptDriver::tick() {
    if (!active()) return;
    const ScriptStep& st = steps_[step_];
    const auto since = now_() - step_started_;
    switch (st.kind) {
    case ScriptStep::Kind::Tap:
    case ScriptStep::Kind::TapAt:
    case ScriptStep::Kind::Drag:
        tap(st, since);
        return;
    case ScriptStep::Kind::Visible:
    case ScriptStep::Kind::Fits:
        check_visible(st, since);
        return;
    case ScriptStep::Kind::Wait:
        if (st.arg == view_.screen_name() && !host_.frames_pending())
            next();
        else if (since > std::chrono::seconds(st.count))
            fail("still on screen " + view_.screen_name() + ", expected " + st.arg);
        return;
    case ScriptStep::Kind::WaitSync: {
        // Only a status taken after the newest record was stored counts (an older one says 0 waiting too).
        const ScriptView::Sync sync = view_.sync();
        if (sync.known && sync.online && sync.waiting == 0 && sync.caught_up)
            next();
        else if (since > std::chrono::seconds(30))
            fail("the HIS has not acknowledged every record (" + std::to_string(sync.waiting) + " waiting, " +
                 (sync.online ? "online" : "offline") + ")");
        return;
    }
    case ScriptStep::Kind::WaitFile: {
        std::error_code ec;
        if (std::filesystem::exists(st.arg, ec))
            next();
        else if (since > std::chrono::seconds(120))
            fail("file " + st.arg + " did not appear within 120 s");
        return;
    }
    case ScriptStep::Kind::Sleep:
        if (since >= Ms(st.count)) next();
        return;
    case ScriptStep::Kind::Screenshot:
        if (step_phase_ == 0) {
            host_.request_screenshot(st.arg);
            host_.want_frame();
            step_phase_ = 1;
        } else if (!host_.screenshot_pending()) {
            next();
        }
        return;
    case ScriptStep::Kind::Measure:
        measure(st);
        return;
    case ScriptStep::Kind::SlowFrames:
        host_.set_slow_frames(st.count);
        next();
        return;
    case ScriptStep::Kind::Keys:
        keys(st);
        return;
    case ScriptStep::Kind::Quit:
        host_.stop(0);
        return;
    }
}

void ScriptDriver::tap(const ScriptStep& st, Clock::duration since) {
    // The target is looked up once, at the press: a drag moves it away from under the finger.
    const ui::TapTargets& targets = host_.targets();
    std::optional<ImVec2> at = drag_origin_;
    if (step_phase_ == 0)
        at = st.kind == ScriptStep::Kind::TapAt ? std::optional<ImVec2>(ImVec2(st.x, st.y))
                                                : targets.center(st.arg);
    if (!at) {
        if (since > std::chrono::seconds(5)) {
            std::string known;
            for (const auto& id : targets.ids())
                known += " " + id;
            fail("no tap target '" + st.arg + "' on screen " + view_.screen_name() + " (targets:" + known +
                 ")");
        }
        return;
    }
    const int moves = st.kind == ScriptStep::Kind::Drag ? 8 : 0;
    if (step_phase_ == 0 && st.kind != ScriptStep::Kind::TapAt) {
        // A finger cannot reach what is drawn outside the screen.
        if (auto why = targets.misfit(st.arg, host_.display_size(), ui::TapTargets::Check::Position)) {
            fail("tap target '" + st.arg + "' on screen " + view_.screen_name() + " is off screen: " + *why);
            return;
        }
    }
    if (step_phase_ == 0) {
        host_.finger_move(*at);
        host_.finger_down(*at);
        drag_origin_ = at;
    } else if (step_phase_ <= moves) {
        host_.finger_move(ImVec2(at->x, at->y + static_cast<float>(st.count * step_phase_) / 8.0f));
    } else {
        host_.finger_up(ImVec2(at->x, at->y + (moves ? static_cast<float>(st.count) : 0.0f)));
        drag_origin_.reset();
        next();
        return;
    }
    ++step_phase_;
    host_.want_frame();
}

void ScriptDriver::check_visible(const ScriptStep& st, Clock::duration since) {
    if (host_.frames_pending()) return; // check what the screen shows once it has settled
    const ui::TapTargets& targets = host_.targets();
    const ImVec2 display = host_.display_size();
    std::string problems;
    if (st.kind == ScriptStep::Kind::Visible) {
        const ui::TapTarget* t = targets.find(st.arg);
        if (!t) {
            if (since <= std::chrono::seconds(5)) return;
            problems = " " + st.arg + " (not drawn on this screen)";
        } else if (auto why = targets.misfit(st.arg, display, ui::TapTargets::Check::Position)) {
            problems = " " + st.arg + " (" + *why + ")";
        } else if (t->min.y < t->clip_min.y - 0.5f || t->max.y > t->clip_max.y + 0.5f ||
                   t->min.x < t->clip_min.x - 0.5f || t->max.x > t->clip_max.x + 0.5f) {
            problems = " " + st.arg + " (partly scrolled out of its list)";
        }
    } else {
        for (const auto& id : targets.ids())
            if (auto why = targets.misfit(id, display)) problems += " " + id + " (" + *why + ");";
    }
    if (!problems.empty()) {
        fail("on screen " + view_.screen_name() + " at " + std::to_string(static_cast<int>(display.x)) + "x" +
             std::to_string(static_cast<int>(display.y)) + ", font " +
             std::to_string(static_cast<int>(host_.font_px())) + " px, not on screen:" + problems);
        return;
    }
    next();
}

void ScriptDriver::measure(const ScriptStep& st) {
    if (measured_.empty()) measure_first_at_ = now_();
    measured_.push_back(host_.last_frame());
    if (static_cast<int>(measured_.size()) < st.count + 1) {
        host_.want_frame();
        return;
    }
    measured_.erase(measured_.begin()); // the first sample predates the step
    const double wall = ms_between(measure_first_at_, now_()) / st.count;
    std::printf("%s\n", measure_line("KIOSK_MEASURE", view_.screen_name(), measured_, wall).c_str());
    std::fflush(stdout);
    measured_.clear();
    next();
}

// A keyboard-wedge scanner or a person typing, then Enter; through SDL's event queue like the real device.
// The scanner has a clock of its own, as the USB device does: one character every kScannerMsPerChar, and
// what fell due while the loop was busy (a slow frame) arrives at once, as keys queued in the X server do.
// A person (keys <gap-ms>) types one key every gap ms, one key per loop turn at most.
void ScriptDriver::keys(const ScriptStep& st) {
    constexpr long long kScannerMsPerChar = 4;
    const bool person = st.count > 0;
    const long long ms_per_char = person ? st.count : kScannerMsPerChar;
    const auto since = std::chrono::duration_cast<Ms>(now_() - step_started_).count();
    auto pos = static_cast<std::size_t>(step_phase_);
    host_.want_frame();
    if (pos >= st.arg.size()) {
        if (since < ms_per_char * step_phase_characters_) return; // Enter comes one character time later
        if (st.enter) host_.enter_key();
        next();
        return;
    }
    const long long due = person ? std::min<long long>(since / ms_per_char + 1, step_phase_characters_ + 1)
                                 : since / ms_per_char + 1; // characters typed by now, the first at once
    constexpr std::size_t kEventBytes = 32;                 // SDL_TextInputEvent::text, with its NUL
    while (pos < st.arg.size() && step_phase_characters_ < due) {
        std::size_t n = 0;
        // A few characters per event, as SDL delivers a fast device (never a character split).
        for (int chars = 0; pos + n < st.arg.size() && chars < 4 && step_phase_characters_ < due; ++chars) {
            std::size_t len = 1;
            const auto c = static_cast<unsigned char>(st.arg[pos + n]);
            if (c >= 0xF0)
                len = 4;
            else if (c >= 0xE0)
                len = 3;
            else if (c >= 0xC0)
                len = 2;
            if (n + len >= kEventBytes) break;
            n += len;
            ++step_phase_characters_;
        }
        host_.text_input(std::string_view(st.arg).substr(pos, n));
        pos += n;
    }
    step_phase_ = static_cast<int>(pos);
}

} // namespace kiosk::app
