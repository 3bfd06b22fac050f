#pragma once
// Pieces the screen functions share (internal to kiosk/ui).
#include "kiosk/ui/screens.hpp"

#include <optional>
#include <span>
#include <string>

namespace kiosk::ui {

inline constexpr ImU32 kInk = IM_COL32(20, 31, 46, 255);
inline constexpr ImU32 kMuted = IM_COL32(84, 96, 112, 255);
inline constexpr ImU32 kAccent = IM_COL32(0, 94, 163, 255);
inline constexpr ImU32 kWarn = IM_COL32(176, 40, 30, 255);

struct Box {
    ImVec2 min, max;
    [[nodiscard]] float width() const { return max.x - min.x; }
    [[nodiscard]] float height() const { return max.y - min.y; }
};

[[nodiscard]] const core::Service* find_service(const SiteView& site, const std::string& code);
[[nodiscard]] const char* service_name(const UiContext& ctx, const core::Service& s);

// The year at the site now (for the birth-year checks of identity numbers).
[[nodiscard]] int current_year(const UiContext& ctx);

// Places a big_button at an absolute screen position.
bool button_at(UiContext& ctx, ImVec2 pos, const std::string& id, const char* label, const char* sub,
               ImVec2 size, Tone tone, ImFont* font);

// Centered, wrapped text in [x, x+w]; returns the height used.
float text_line(ImFont* font, float x, float y, float w, const char* text, ImU32 col);

// A "Back" button at the top left and a title beside it; returns the area below them.
Box back_and_title(UiContext& ctx, Box area, const char* title, std::optional<Event>& out);

// Two buttons side by side, centered at y: left (secondary) and right (primary); either may be null.
void button_pair(UiContext& ctx, float y, Box area, const char* left_id, const char* left_label,
                 const Event& left_event, const char* right_id, const char* right_label,
                 const Event& right_event, std::optional<Event>& out);

// The keypad (digits, erase, OK) and the Telex keyboard; each key is a button "key.<id>".
void keypad(UiContext& ctx, Box area, const Event& ok, std::optional<Event>& out);
void keyboard(UiContext& ctx, Box area, bool shift, std::optional<Event>& out);
// A framed box showing what is being typed, with a caret; returns its height.
float entry_box(UiContext& ctx, Box area, float y, const std::string& text, const char* placeholder);
// The patient's message for an identity problem.
const char* problem_text(UiContext& ctx, core::IdProblem p);

// A journey's screens: which function draws which screen (each journey's screens_<journey>.cpp).
using DrawScreen = void (*)(UiContext& ctx, Box area, std::optional<Event>& out);
struct ScreenDraw {
    Screen screen;
    DrawScreen draw;
};
[[nodiscard]] std::span<const ScreenDraw> identify_screens();     // screens_identify.cpp
[[nodiscard]] std::span<const ScreenDraw> register_screens();     // screens_register.cpp
[[nodiscard]] std::span<const ScreenDraw> queue_ticket_screens(); // screens_queue_ticket.cpp
[[nodiscard]] std::span<const ScreenDraw> payment_screens();      // screens_payment.cpp

} // namespace kiosk::ui
