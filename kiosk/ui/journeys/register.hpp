#pragma once
// Registration of a new patient: the form (prefilled from what the card said), one field at a time on the
// Telex keyboard or the keypad, checked on submit, stored and queued for the HIS.
#include "kiosk/core/telex.hpp"
#include "kiosk/ui/journey.hpp"

#include <array>
#include <optional>
#include <string>

namespace kiosk::ui {

// Longest text a registration field takes (characters as seen).
inline constexpr std::size_t kMaxNameLength = 80;
inline constexpr std::size_t kMaxAddressLength = 160;

[[nodiscard]] bool field_is_numeric(Field f);  // keypad (true) or Telex keyboard (false)
[[nodiscard]] const char* field_name(Field f); // "full_name", ... (catalog keys "field.<name>")
// The field's current value as the form shows it ("15/01/1990" for the birth date).
[[nodiscard]] std::string field_value(const core::PatientDetails& d, Field f);

// The field being edited: text through the Telex composer, digits through the keypad.
struct FieldEditor {
    Field field = Field::FullName;
    core::TelexComposer text;
    std::string digits;
    bool shift = false; // next letter upper-case (one-shot)
};

struct RegisterState {
    core::PatientDetails draft;
    std::optional<Field> draft_problem_field; // the field the last submit refused
    std::optional<core::IdProblem> draft_problem;
    std::optional<FieldEditor> editor;
    std::uint64_t request = 0; // the outstanding RegisterPatient
};

class RegisterJourney final : public Journey {
public:
    static constexpr std::array<ScreenSpec, 4> kScreens{{
        {.screen = Screen::Register, .name = "register", .idle = Idle::Long},
        {.screen = Screen::EditField, .name = "edit_field", .idle = Idle::Long},
        {.screen = Screen::Registering, .name = "registering", .busy = true},
        {.screen = Screen::RegisterFailed, .name = "register_failed", .done_ends_session = true},
    }};

    [[nodiscard]] std::span<const ScreenSpec> screens() const override { return kScreens; }
    bool handle(const Event& event, Step& step) override;
    void reset() override;

    [[nodiscard]] const RegisterState& state() const { return state_; }

private:
    void open_editor(Field field, Step& step);
    void close_editor();
    void on_key(char key);
    void on_erase();
    void on_clear();
    void on_field_ok(Step& step);
    void on_submit(int year, Step& step);

    RegisterState state_;
};

} // namespace kiosk::ui
