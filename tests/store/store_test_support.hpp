#pragma once
// Helpers shared by the store tests.
#include "kiosk/core/clock.hpp"
#include "kiosk/core/identity.hpp"
#include "kiosk/core/site.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/outbox.hpp"
#include "kiosk/store/statement.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::test {

// A patient with every detail given, as the registration tests use it.
inline core::PatientDetails patient_an() {
    core::PatientDetails d;
    d.cccd = "079090001234";
    d.bhyt = "DN4797915000001";
    d.full_name = "Nguyễn Văn An";
    d.birth_date = core::LocalDate{1990, 4, 12};
    d.sex = core::Sex::Male;
    d.address = "12 Lê Lợi, Quy Nhơn, Bình Định";
    d.phone = "0912345678";
    return d;
}

inline std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::string bytes(static_cast<std::size_t>(in.tellg()), '\0');
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return bytes;
}

// The bytes of a file, or "" when there is none.
inline std::string read_bytes_if_any(const std::filesystem::path& p) {
    return std::filesystem::exists(p) ? read_bytes(p) : std::string();
}

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

// Milliseconds since the epoch of a UTC wall-clock time.
inline core::UnixMillis utc_ms(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    using namespace std::chrono;
    const sys_days day{year{y} / month{mo} / d};
    const auto t = day + hours{h} + minutes{mi} + seconds{s};
    return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// The message of the StoreError `f` throws; fails the test when it throws nothing.
template <typename F> std::string store_error_of(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const store::StoreError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a StoreError";
    return {};
}

// One integer (first column of the first row) of a query; binds `text` to ?1 when given.
inline std::int64_t query_int(const store::Database& db, const std::string& sql, const char* text = nullptr) {
    store::detail::Statement st(db, sql);
    if (text) st.bind_text(1, text);
    if (!st.step()) throw std::runtime_error("no row from " + sql);
    return st.column_int64(0);
}

inline std::string query_text(const store::Database& db, const std::string& sql) {
    store::detail::Statement st(db, sql);
    if (!st.step()) throw std::runtime_error("no row from " + sql);
    return st.column_text(0);
}

inline core::KioskIdentity kiosk_b() {
    core::KioskIdentity k;
    k.site_id = "BVDK-QN";
    k.kiosk_id = "SANH-A-01";
    k.kiosk_letter = 'B';
    k.utc_offset_minutes = 7 * 60;
    return k;
}

inline core::Service service_kbh() {
    return {"KBH", "A", "Khám BHYT", "Insured consultation"};
}
inline core::Service service_xn() {
    return {"XN", "C", "Xét nghiệm", "Laboratory tests"};
}

// The HIS's answers for one outbox row, recorded as the sync engine records them (Outbox::record), for the
// tests that play the HIS by hand.
inline void acknowledge(store::Outbox& outbox, const std::vector<std::int64_t>& ids) {
    store::Outbox::Results r;
    for (const std::int64_t id : ids)
        r.delivered.push_back({id, ""});
    outbox.record(r, 0);
}
inline void retry_later(store::Outbox& outbox, std::int64_t id, core::UnixMillis next_attempt_at,
                        const std::string& error) {
    outbox.record(store::Outbox::Results{{}, {{id, next_attempt_at, error}}, {}}, 0);
}
inline void quarantine(store::Outbox& outbox, std::int64_t id, const std::string& reason,
                       core::UnixMillis now) {
    outbox.record(store::Outbox::Results{{}, {}, {{id, reason}}}, now);
}

} // namespace kiosk::test
