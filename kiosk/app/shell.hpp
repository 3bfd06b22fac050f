#pragma once
// The SDL shell ("the runner is not the app", as in hello_imgui): window, renderer, ImGui and fonts, the
// event loop, touch and the barcode scanner (ScanDetector), frames and screenshots. It runs a ShellApp and
// knows nothing of flows, stores or the HIS. A script (ScriptDriver) drives it as a ScriptHost.
#include "kiosk/app/frame_stats.hpp"
#include "kiosk/app/pointer.hpp"
#include "kiosk/app/run_kiosk.hpp"
#include "kiosk/app/script_driver.hpp"
#include "kiosk/app/shell_app.hpp"
#include "kiosk/core/scan_detector.hpp"
#include "kiosk/ui/theme.hpp"
#include "kiosk/ui/widgets.hpp"

#include <SDL.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::app {

class Shell final : public ScriptHost {
public:
    struct Setup {
        std::filesystem::path font_regular, font_bold;
        float ui_scale = 1.0f;
    };
    Shell(Setup setup, const Options& options);
    Shell(const Shell&) = delete;
    Shell& operator=(const Shell&) = delete;
    ~Shell() override;

    // SDL, the window and renderer, and the font atlas (built on its own thread meanwhile) with the glyphs
    // of these texts. Throws StartupError.
    void open(const std::vector<std::string>& glyph_texts);
    // When open() had the window, and then the fonts and ImGui.
    [[nodiscard]] std::chrono::steady_clock::time_point window_ready_at() const { return window_at_; }
    [[nodiscard]] std::chrono::steady_clock::time_point fonts_ready_at() const { return fonts_at_; }

    // Wakes the event loop from any thread (a worker's result is waiting in the MainQueue).
    void wake();
    // Runs the event loop until quit. drain: runs the results posted to the UI thread, returns how many;
    // script: the script at the controls, if any. Returns the exit status.
    int run(ShellApp& app, const std::function<std::size_t()>& drain, ScriptDriver* script);

    // ScriptHost.
    [[nodiscard]] const ui::TapTargets& targets() const override { return targets_; }
    [[nodiscard]] ImVec2 display_size() const override;
    [[nodiscard]] float font_px() const override { return fonts_.fonts().em; }
    [[nodiscard]] FrameSample last_frame() const override { return {last_frame_cpu_ms_, last_frame_ms_}; }
    [[nodiscard]] bool frames_pending() const override { return frames_pending_ > 0; }
    void want_frame() override { redraw(1); }
    void set_slow_frames(int ms) override { slow_frame_ms_ = ms; }
    void request_screenshot(const std::filesystem::path& file) override { screenshot_request_ = file; }
    [[nodiscard]] bool screenshot_pending() const override { return screenshot_request_.has_value(); }
    void finger_down(ImVec2 at) override { inject_button(SDL_MOUSEBUTTONDOWN, at); }
    void finger_move(ImVec2 at) override;
    void finger_up(ImVec2 at) override { inject_button(SDL_MOUSEBUTTONUP, at); }
    void text_input(std::string_view utf8) override;
    void enter_key() override;
    void stop(int exit_code) override;

private:
    using Clock = std::chrono::steady_clock;
    void init_sdl();
    [[nodiscard]] Options::Size expected_size() const;
    void create_window(Options::Size size);
    void build_fonts(float em, const std::vector<std::string>& glyph_texts);
    void init_imgui(float built_em, const std::vector<std::string>& glyph_texts);
    void handle_event(ShellApp& app, const SDL_Event& e);
    void frame(ShellApp& app);
    [[nodiscard]] int wait_timeout_ms(const ShellApp& app) const;
    void inject_button(Uint32 type, ImVec2 at);
    void redraw(int frames) { frames_pending_ = std::max(frames_pending_, frames); }

    Setup setup_;
    const Options& options_;
    ScriptDriver* script_ = nullptr;

    SDL_Window* window_ = nullptr;
    SDL_Renderer* renderer_ = nullptr;
    bool sdl_ready_ = false;
    Uint32 wake_event_ = 0;
    bool imgui_ready_ = false;
    ui::FontSet fonts_;
    ui::TapTargets targets_;
    Pointer pointer_;
    core::ScanDetector scanner_; // the barcode scanner typing as a keyboard
    Clock::time_point window_at_, fonts_at_;

    bool running_ = true;
    int exit_code_ = 0;
    int frames_pending_ = 3;
    bool ready_announced_ = false;
    double last_frame_cpu_ms_ = 0;
    double last_frame_ms_ = 0; // build + render + present
    int slow_frame_ms_ = 0;    // script step slow-frames: extra time each frame takes
    std::optional<std::filesystem::path> screenshot_request_;
};

} // namespace kiosk::app
