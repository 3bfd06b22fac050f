#pragma once
// Touch-friendly building blocks over Dear ImGui 1.86, sized in font units (em).
#include <imgui.h>

#include <cfloat>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::ui {

// Where each named tap target was drawn this frame, so scripted taps (tests, screenshots, benchmarks)
// press the same pixels a finger would, and scripts can check that every target fits the screen.
struct TapTarget {
    ImVec2 min, max;                                                 // the whole button
    ImVec2 clip_min{-FLT_MAX, -FLT_MAX}, clip_max{FLT_MAX, FLT_MAX}; // its window's clip rectangle
    bool in_list = false;        // inside a scrolling child window: may lie partly outside its clip
    bool text_overflows = false; // its label is larger than the button
};

class TapTargets {
public:
    void clear() { rects_.clear(); }
    void add(const std::string& id, ImVec2 min, ImVec2 max) { rects_[id] = TapTarget{min, max}; }
    void add(const std::string& id, const TapTarget& t) { rects_[id] = t; }
    // The centre of the part a finger can reach (inside the clip rectangle); none when nothing is.
    [[nodiscard]] std::optional<ImVec2> center(const std::string& id) const;
    [[nodiscard]] const TapTarget* find(const std::string& id) const;
    // Why the target does not fit a display of that size ("ends 120 px below the screen", "its label is
    // larger than the button"), or nothing when it fits. A list item only needs its list on screen.
    enum class Check { Position, PositionAndText };
    [[nodiscard]] std::optional<std::string> misfit(const std::string& id, ImVec2 display,
                                                    Check check = Check::PositionAndText) const;
    [[nodiscard]] std::vector<std::string> ids() const;

private:
    std::map<std::string, TapTarget> rects_;
};

// Drag-to-scroll for a child window (ImGui 1.86 has none): a press that moves more than the threshold
// becomes a scroll and cancels the button under the finger.
struct DragScroll {
    bool tracking = false;
    bool dragging = false;
    float start_mouse_y = 0;
    float start_scroll_y = 0;
};
// Call inside the child window, after its content. threshold_px ~ 16 px at kiosk sizes.
void drag_scroll(DragScroll& state, float threshold_px);

enum class Tone { Primary, Secondary, Disabled, Quiet };

// A large rounded button with centered, wrapped text and an optional small second line (badge).
bool big_button(TapTargets& targets, const std::string& id, const char* label, const char* sublabel,
                ImVec2 size, Tone tone, ImFont* font, ImFont* small_font);

// Text centered horizontally inside [x0, x0+width], wrapped at width; returns the height used.
// With dl == nullptr it only measures; widest (if given) gets the width of the longest line.
float centered_text(ImDrawList* dl, ImFont* font, float size, ImVec2 top_left, float width, const char* text,
                    ImU32 color, float* widest = nullptr);

// A QR code (libqrencode, error correction M) as modules, drawn as dark squares with a 4-module quiet zone.
struct QrCode {
    int width = 0;
    std::vector<std::uint8_t> dark; // width*width, 1 = dark module
    static std::optional<QrCode> encode(std::string_view text);
};
// Draws the code with its quiet zone inside a square of `side` pixels at top_left.
void draw_qr(ImDrawList* dl, const QrCode& qr, ImVec2 top_left, float side);

} // namespace kiosk::ui
