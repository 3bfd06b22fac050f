#pragma once
// What the SDL shell (shell.hpp) asks of the app it runs, and what the app may ask of the shell: the
// shell owns the window, the frames, the pointer and the scanner; the app owns everything else.
#include "kiosk/ui/theme.hpp"
#include "kiosk/ui/widgets.hpp"

#include <imgui.h>

#include <functional>
#include <string>
#include <vector>

namespace kiosk::app {

struct ShellHooks {
    std::function<void(int frames)> redraw; // the screen changed: render at least that many frames
    std::function<void()> patient_gone;     // back to welcome: drop any half-received scan
};

class ShellApp {
public:
    virtual ~ShellApp() = default;
    virtual void set_shell(ShellHooks hooks) = 0;
    // Builds the frame's UI (between ImGui::NewFrame and ImGui::Render); records the tap targets drawn.
    virtual void draw(const ui::Fonts& fonts, ui::TapTargets& targets, ImVec2 display) = 0;
    // After the frame was presented: acts on what the patient tapped in it.
    virtual void after_frame() = 0;
    // Input arrived (a touch, a key, a scan): the patient is still there.
    virtual void on_input() = 0;
    // The scanner delivered this text (personal data: the app wipes it).
    virtual void on_scan(std::string& text) = 0;
    virtual void on_unreadable_scan() = 0;
    // Once per loop turn (the idle timer); pointer_down: a finger is on the screen.
    virtual void tick(bool pointer_down) = 0;
    // Milliseconds until the app needs a turn without any input (the clock on screen, the idle timer).
    [[nodiscard]] virtual long long wake_in_ms() const = 0;
};

} // namespace kiosk::app
