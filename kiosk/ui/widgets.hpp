#pragma once
// Touch-friendly building blocks over Dear ImGui 1.86, sized in font units (em).
#include <imgui.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::ui {

// Where each named tap target was drawn this frame, so scripted taps (tests, screenshots, benchmarks)
// press the same pixels a finger would.
class TapTargets {
public:
    void clear() { rects_.clear(); }
    void add(const std::string& id, ImVec2 min, ImVec2 max) { rects_[id] = {min, max}; }
    [[nodiscard]] std::optional<ImVec2> center(const std::string& id) const;
    [[nodiscard]] std::vector<std::string> ids() const;

private:
    struct Rect {
        ImVec2 min, max;
    };
    std::map<std::string, Rect> rects_;
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
// With dl == nullptr it only measures.
float centered_text(ImDrawList* dl, ImFont* font, float size, ImVec2 top_left, float width, const char* text,
                    ImU32 color);

// A QR code (libqrencode, error correction M) as modules, drawn as dark squares with a 4-module quiet zone.
struct QrCode {
    int width = 0;
    std::vector<std::uint8_t> dark; // width*width, 1 = dark module
    static std::optional<QrCode> encode(std::string_view text);
};
// Draws the code with its quiet zone inside a square of `side` pixels at top_left.
void draw_qr(ImDrawList* dl, const QrCode& qr, ImVec2 top_left, float side);

} // namespace kiosk::ui
