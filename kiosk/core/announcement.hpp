#pragma once
// What the queue board says when it calls a number (issue 13), and the order it says things in. Pure:
// the texts and the queue; speech synthesis and audio are elsewhere.
#include "kiosk/core/clock.hpp"

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::core {

// Where a called patient goes, as the site names it ("Quầy 3" / "Counter 3", "Phòng khám 204").
struct CallPoint {
    std::string name_vi;
    std::string name_en;
    friend bool operator==(const CallPoint&, const CallPoint&) = default;
};

// A ticket number as it is spoken: letters by their names, every digit on its own (the leading zeros
// too, as the ticket shows them), a pause for the dash. "AA-015" -> "a, a, không một năm" (vi),
// "ay, ay, zero one five" (en). Other characters are left out.
[[nodiscard]] std::string spoken_ticket_number_vi(std::string_view display_number);
[[nodiscard]] std::string spoken_ticket_number_en(std::string_view display_number);

// A place name with its numbers read as numbers: "Phòng 204" -> "Phòng hai trăm linh bốn",
// "Room 204" -> "Room two hundred four".
[[nodiscard]] std::string spoken_name_vi(std::string_view name);
[[nodiscard]] std::string spoken_name_en(std::string_view name);

// The whole call: "Mời số a, a, không một năm, đến Quầy ba." / "Number ay, ay, zero one five, please
// go to Counter three."
[[nodiscard]] std::string call_announcement_vi(std::string_view display_number, const CallPoint& where);
[[nodiscard]] std::string call_announcement_en(std::string_view display_number, const CallPoint& where);

// The board's calls in the order they are spoken. A call is spoken once, then repeated (up to
// `repeats` times, `repeat_after_ms` after the previous time ended) until the patient answers it; a call
// never answered is then missed. One thing is spoken at a time: a new call waits for the one being
// spoken to end, and first calls go before repeats.
class AnnouncementQueue {
public:
    struct Policy {
        int repeats = 2;
        UnixMillis repeat_after_ms = 30'000;
    };
    struct Announcement {
        std::string ticket;
        CallPoint where;
        int time = 0; // 0 for the first call, 1.. for the repeats
    };

    explicit AnnouncementQueue(Policy policy) : policy_(policy) {}

    // The HIS called `ticket` to `where`. Called again while it is still waiting or being repeated:
    // nothing new, unless the place changed (then it is a new call). A number that was missed can be
    // called again.
    void call(std::string_view ticket, const CallPoint& where, UnixMillis now);
    // The patient arrived (or staff cancelled the call): no more repeats, never missed.
    void answered(std::string_view ticket);
    // When the speaker is free: what to say now, if anything is due. The speaker then says it and calls
    // spoken() when it has finished.
    [[nodiscard]] std::optional<Announcement> next(UnixMillis now);
    void spoken(UnixMillis now);
    // Calls repeated to the end without an answer, taken off the queue (oldest first) as of `now`.
    [[nodiscard]] std::vector<std::string> take_missed(UnixMillis now);
    // When next() will have something to say (for the board's timer); nullopt when nothing waits or
    // something is being spoken.
    [[nodiscard]] std::optional<UnixMillis> next_due() const;
    [[nodiscard]] bool speaking() const { return speaking_.has_value(); }
    [[nodiscard]] std::size_t waiting() const { return calls_.size(); }

private:
    struct Call {
        std::string ticket;
        CallPoint where;
        UnixMillis called_at = 0;
        int times_spoken = 0;
        UnixMillis last_spoken_end = 0;
    };
    [[nodiscard]] UnixMillis due(const Call& c) const;

    Policy policy_;
    std::deque<Call> calls_;              // in the order they were called
    std::optional<std::string> speaking_; // the ticket being spoken
};

} // namespace kiosk::core
