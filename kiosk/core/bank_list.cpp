#include "kiosk/core/bank_list.hpp"

#include <algorithm>

namespace kiosk::core {
namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const std::size_t tab = line.find('\t', start);
        fields.push_back(
            line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
        if (tab == std::string_view::npos) return fields;
        start = tab + 1;
    }
}

bool six_digits(std::string_view s) {
    return s.size() == 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

const Bank* BankList::find(std::string_view bin) const {
    for (const Bank& b : banks)
        if (b.bin == bin) return &b;
    return nullptr;
}

BankList parse_bank_list(std::string_view text) {
    BankList list;
    int number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        const std::vector<std::string_view> f = split_tabs(line);
        if (f.size() != 4 || std::any_of(f.begin(), f.end(), [](std::string_view v) { return v.empty(); })) {
            list.problems.push_back(
                {number, "expected 4 tab-separated fields (bin, code, short name, name), got " +
                             std::to_string(f.size())});
            continue;
        }
        if (!six_digits(f[0])) {
            list.problems.push_back({number, "the BIN must be 6 digits, got \"" + std::string(f[0]) + "\""});
            continue;
        }
        if (list.find(f[0]) != nullptr) {
            list.problems.push_back({number, "BIN " + std::string(f[0]) + " is listed twice"});
            continue;
        }
        list.banks.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3])});
    }
    return list;
}

} // namespace kiosk::core
