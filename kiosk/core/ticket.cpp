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
