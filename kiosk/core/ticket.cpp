#include "kiosk/core/ticket.hpp"

#include <chrono>
#include <cstdio>

namespace kiosk::core {
namespace {

struct LocalParts {
    LocalDate date;
    int hour, minute, second;
};

LocalParts split_local(UnixMillis t, int utc_offset_minutes) {
    using namespace std::chrono;
    const sys_time<milliseconds> utc{milliseconds{t}};
    const auto local = utc + minutes{utc_offset_minutes};
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    const hh_mm_ss hms{floor<seconds>(local - day)};
    return {LocalDate{int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day())},
            static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
            static_cast<int>(hms.seconds().count())};
}

} // namespace

std::string LocalDate::iso() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", year, month, day);
    return buf;
}

std::string LocalDate::compact() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d%02u%02u", year, month, day);
    return buf;
}

bool is_valid_date(int year, unsigned month, unsigned day) {
    using namespace std::chrono;
    return year_month_day{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}}.ok();
}

std::optional<LocalDate> date_from_ddmmyyyy(std::string_view digits) {
    if (digits.size() != 8) return std::nullopt;
    int v[8];
    for (std::size_t i = 0; i < 8; ++i) {
        if (digits[i] < '0' || digits[i] > '9') return std::nullopt;
        v[i] = digits[i] - '0';
    }
    const auto day = static_cast<unsigned>(v[0] * 10 + v[1]);
    const auto month = static_cast<unsigned>(v[2] * 10 + v[3]);
    const int year = v[4] * 1000 + v[5] * 100 + v[6] * 10 + v[7];
    // Year 0000 is a real proleptic year to std::chrono, but on a document it is a blank date.
    if (year < 1 || !is_valid_date(year, month, day)) return std::nullopt;
    return LocalDate{year, month, day};
}

std::optional<LocalDate> date_from_iso(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    std::string digits; // DDMMYYYY, to share the digit and calendar checks
    digits.append(text.substr(8, 2)).append(text.substr(5, 2)).append(text.substr(0, 4));
    return date_from_ddmmyyyy(digits);
}

LocalDate local_date(UnixMillis t, int utc_offset_minutes) {
    return split_local(t, utc_offset_minutes).date;
}

std::string local_time_hhmm(UnixMillis t, int utc_offset_minutes) {
    const auto p = split_local(t, utc_offset_minutes);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", p.hour, p.minute);
    return buf;
}

std::string local_datetime_rfc3339(UnixMillis t, int utc_offset_minutes) {
    const auto p = split_local(t, utc_offset_minutes);
    const int off = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d%c%02d:%02d", p.date.iso().c_str(), p.hour, p.minute,
                  p.second, utc_offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
    return buf;
}

std::optional<UnixMillis> instant_from_rfc3339(std::string_view text, int utc_offset_minutes) {
    using namespace std::chrono;
    const auto day = date_from_iso(text.substr(0, 10));
    if (!day) return std::nullopt;
    const sys_days midnight{year_month_day{year{day->year}, month{day->month}, std::chrono::day{day->day}}};
    const auto at = [](UnixMillis ms) { return std::optional<UnixMillis>{ms}; };
    if (text.size() == 10)
        return at(duration_cast<milliseconds>(midnight.time_since_epoch()).count() -
                  UnixMillis{utc_offset_minutes} * 60'000);
    const auto digits2 = [&](std::size_t pos) -> int {
        if (pos + 2 > text.size() || text[pos] < '0' || text[pos] > '9' || text[pos + 1] < '0' ||
            text[pos + 1] > '9')
            return -1;
        return (text[pos] - '0') * 10 + (text[pos + 1] - '0');
    };
    if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') return std::nullopt;
    const int h = digits2(11), m = digits2(14), sec = digits2(17);
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return std::nullopt; // 60: leap second
    std::size_t pos = 19;
    UnixMillis millis = 0;
    if (text[pos] == '.') {
        ++pos;
        int n = 0;
        for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++n)
            if (n < 3) millis = millis * 10 + (text[pos] - '0');
        if (n == 0) return std::nullopt;
        for (int k = n; k < 3; ++k)
            millis *= 10;
    }
    int zone = 0;
    if (pos + 1 == text.size() && text[pos] == 'Z') {
        zone = 0;
    } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') && text[pos + 3] == ':') {
        const int zh = digits2(pos + 1), zm = digits2(pos + 4);
        if (zh < 0 || zh > 14 || zm < 0 || zm > 59) return std::nullopt;
        zone = (text[pos] == '-' ? -1 : 1) * (zh * 60 + zm);
    } else {
        return std::nullopt;
    }
    const UnixMillis local = duration_cast<milliseconds>(midnight.time_since_epoch()).count() +
                             ((UnixMillis{h} * 60 + m) * 60 + sec) * 1000 + millis;
    return at(local - UnixMillis{zone} * 60'000);
}

std::string ticket_display_number(const Service& service, char kiosk_letter, int sequence) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%c-%03d", service.prefix.c_str(), kiosk_letter, sequence);
    return buf;
}

std::string ticket_reference(const KioskIdentity& kiosk, const Service& service, const LocalDate& day,
                             int sequence) {
    char seq[16];
    std::snprintf(seq, sizeof seq, "%c%03d", kiosk.kiosk_letter, sequence);
    return kiosk.site_id + "-" + day.compact() + "-" + service.code + "-" + seq;
}

} // namespace kiosk::core
