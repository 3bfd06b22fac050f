#include "kiosk/core/announcement.hpp"

#include "kiosk/core/number_words.hpp"

#include <algorithm>
#include <array>

namespace kiosk::core {
namespace {

// Letter names as Vietnamese announcers spell them (written as espeak-ng's Vietnamese voice reads them
// best: separate syllables, no hyphens).
constexpr std::array<std::string_view, 26> kViLetters{
    "a",     "bê", "xê", "dê",  "e",    "ép",    "giê", "hát", "i",  "gi",     "ca",     "e lờ",  "em mờ",
    "en nờ", "o",  "pê", "quy", "e rờ", "ét xì", "tê",  "u",   "vê", "vê kép", "ích xì", "i dài", "dét"};
constexpr std::array<std::string_view, 26> kEnLetters{
    "ay", "bee", "see", "dee", "ee", "ef",  "gee", "aitch", "eye", "jay",        "kay", "el",  "em",
    "en", "oh",  "pee", "cue", "ar", "ess", "tee", "you",   "vee", "double you", "ex",  "why", "zed"};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

template <class DigitWord>
std::string spoken_number(std::string_view number, const std::array<std::string_view, 26>& letters,
                          DigitWord digit_word) {
    std::vector<std::string> parts;
    std::string digits;
    auto end_digits = [&] {
        if (!digits.empty()) parts.push_back(std::move(digits));
        digits.clear();
    };
    for (char c : number) {
        if (is_digit(c)) {
            if (!digits.empty()) digits += ' ';
            digits += digit_word(static_cast<unsigned>(c - '0'));
            continue;
        }
        end_digits();
        const char upper = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        if (upper >= 'A' && upper <= 'Z') parts.emplace_back(letters[static_cast<std::size_t>(upper - 'A')]);
    }
    end_digits();
    std::string out;
    for (const std::string& p : parts) {
        if (!out.empty()) out += ", ";
        out += p;
    }
    return out;
}

template <class NumberWords, class DigitWord>
std::string spoken_name(std::string_view name, NumberWords number_words, DigitWord digit_word) {
    std::string out;
    std::size_t i = 0;
    while (i < name.size()) {
        if (!is_digit(name[i])) {
            out += name[i++];
            continue;
        }
        std::size_t j = i;
        while (j < name.size() && is_digit(name[j]))
            ++j;
        const std::string_view run = name.substr(i, j - i);
        if (run.size() > 1 && run[0] == '0') { // "05": a label, read digit by digit
            for (std::size_t k = 0; k < run.size(); ++k) {
                if (k > 0) out += ' ';
                out += digit_word(static_cast<unsigned>(run[k] - '0'));
            }
        } else if (run.size() <= 18) {
            out += number_words(std::stoull(std::string(run)));
        } else {
            out += run; // no room number is this long; leave it as written
        }
        i = j;
    }
    return out;
}

} // namespace

std::string spoken_ticket_number_vi(std::string_view display_number) {
    return spoken_number(display_number, kViLetters, digit_word_vi);
}
std::string spoken_ticket_number_en(std::string_view display_number) {
    return spoken_number(display_number, kEnLetters, digit_word_en);
}
std::string spoken_name_vi(std::string_view name) {
    return spoken_name(name, number_in_words_vi, digit_word_vi);
}
std::string spoken_name_en(std::string_view name) {
    return spoken_name(name, number_in_words_en, digit_word_en);
}

std::string call_announcement_vi(std::string_view display_number, const CallPoint& where) {
    return "Mời số " + spoken_ticket_number_vi(display_number) + ", đến " + spoken_name_vi(where.name_vi) +
           ".";
}
std::string call_announcement_en(std::string_view display_number, const CallPoint& where) {
    return "Number " + spoken_ticket_number_en(display_number) + ", please go to " +
           spoken_name_en(where.name_en) + ".";
}

// --- AnnouncementQueue ------------------------------------------------------------------------------

UnixMillis AnnouncementQueue::due(const Call& c) const {
    return c.times_spoken == 0 ? c.called_at : c.last_spoken_end + policy_.repeat_after_ms;
}

void AnnouncementQueue::call(std::string_view ticket, const CallPoint& where, UnixMillis now) {
    const auto it =
        std::find_if(calls_.begin(), calls_.end(), [&](const Call& c) { return c.ticket == ticket; });
    if (it != calls_.end()) {
        if (it->where == where) return;
        calls_.erase(it); // called to another place: a new call, in the order of calls
    }
    calls_.push_back({std::string(ticket), where, now, 0, 0});
}

void AnnouncementQueue::answered(std::string_view ticket) {
    std::erase_if(calls_, [&](const Call& c) { return c.ticket == ticket; });
}

std::optional<AnnouncementQueue::Announcement> AnnouncementQueue::next(UnixMillis now) {
    if (speaking_) return std::nullopt;
    const Call* pick = nullptr;
    for (const Call& c : calls_) { // first calls, in the order they came
        if (c.times_spoken == 0 && c.called_at <= now) {
            pick = &c;
            break;
        }
    }
    if (pick == nullptr) { // then the repeat that has been due longest
        for (const Call& c : calls_) {
            if (c.times_spoken == 0 || c.times_spoken > policy_.repeats || due(c) > now) continue;
            if (pick == nullptr || due(c) < due(*pick)) pick = &c;
        }
    }
    if (pick == nullptr) return std::nullopt;
    speaking_ = pick->ticket;
    return Announcement{pick->ticket, pick->where, pick->times_spoken};
}

void AnnouncementQueue::spoken(UnixMillis now) {
    if (!speaking_) return;
    for (Call& c : calls_) {
        if (c.ticket == *speaking_) {
            ++c.times_spoken;
            c.last_spoken_end = now;
        }
    }
    speaking_.reset();
}

std::vector<std::string> AnnouncementQueue::take_missed(UnixMillis now) {
    std::vector<std::string> missed;
    std::erase_if(calls_, [&](const Call& c) {
        const bool gone = c.times_spoken > policy_.repeats && now >= due(c) && speaking_ != c.ticket;
        if (gone) missed.push_back(c.ticket);
        return gone;
    });
    return missed;
}

std::optional<UnixMillis> AnnouncementQueue::next_due() const {
    if (speaking_) return std::nullopt;
    std::optional<UnixMillis> earliest;
    for (const Call& c : calls_)
        if (!earliest || due(c) < *earliest) earliest = due(c); // a repeat, or the moment it is missed
    return earliest;
}

} // namespace kiosk::core
