#pragma once
// Mouse/touch state fed to ImGui from SDL events (not from SDL_GetMouseState), so that
//  - a tap shorter than one frame still registers (press is latched for one frame),
//  - after a finger lifts, the pointer leaves the screen one frame later (no stuck hover highlight),
//  - injected events (scripted taps) behave exactly like real ones.
#include <cfloat>

namespace kiosk::app {

class Pointer {
public:
    void move(float x, float y) {
        x_ = x;
        y_ = y;
    }
    void press(float x, float y, bool touch) {
        move(x, y);
        down_ = true;
        latched_ = true;
        touch_ = touch;
        lifted_frames_ = -1;
    }
    void release(float x, float y) {
        move(x, y);
        down_ = false;
        if (touch_) lifted_frames_ = 0;
    }
    [[nodiscard]] bool down() const { return down_; }

    // Call once per frame after the platform backend's NewFrame; writes io.MousePos / io.MouseDown[0].
    template <class IO> void apply(IO& io) {
        if (lifted_frames_ >= 0 && !latched_ && ++lifted_frames_ > 1) {
            x_ = y_ = -FLT_MAX;
            lifted_frames_ = -1;
        }
        io.MousePos.x = x_;
        io.MousePos.y = y_;
        io.MouseDown[0] = down_ || latched_;
        latched_ = false;
    }
    // True while the pointer state still has to be shown to ImGui over the next frames.
    [[nodiscard]] bool settling() const { return latched_ || lifted_frames_ >= 0; }

private:
    float x_ = -FLT_MAX, y_ = -FLT_MAX;
    bool down_ = false, latched_ = false, touch_ = false;
    int lifted_frames_ = -1;
};

} // namespace kiosk::app
