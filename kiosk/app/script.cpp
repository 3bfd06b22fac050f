#include "kiosk/app/script.hpp"

#include <charconv>
#include <sstream>

namespace kiosk::app {
namespace {

bool to_int(const std::string& s, int& out) {
    const auto* end = s.data() + s.size();
    auto [p, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end;
}

// The chunk after its first word, verbatim but for surrounding blanks ("scan 0790|..|Nguyễn Văn An|...").
std::string rest_of(const std::string& chunk) {
    std::size_t b = chunk.find_first_not_of(" \t");
    b = chunk.find_first_of(" \t", b);
    if (b == std::string::npos) return "";
    b = chunk.find_first_not_of(" \t", b);
    const std::size_t e = chunk.find_last_not_of(" \t\r");
    return b == std::string::npos ? "" : chunk.substr(b, e - b + 1);
}

// The on-screen key target for a character of `type`, or "" if the keyboard has none.
std::string key_target(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return std::string("key.") + c;
    switch (c) {
    case ' ':
        return "key.space";
    case ',':
        return "key.comma";
    case '.':
        return "key.period";
    case '/':
        return "key.slash";
    case '-':
        return "key.dash";
    default:
        return "";
    }
}

} // namespace

ScriptParse parse_script(std::string_view text, const std::string& source) {
    ScriptParse out;
    int line_no = 0;
    std::size_t pos = 0;
    // Lines and ';' both end a step; a step on line N keeps N for messages.
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        ++line_no;
        std::string line(text.substr(pos, nl - pos));
        pos = nl + 1;
        if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::stringstream parts(line);
        std::string chunk;
        while (std::getline(parts, chunk, ';')) {
            std::istringstream words(chunk);
            std::vector<std::string> w;
            for (std::string word; words >> word;)
                w.push_back(word);
            if (w.empty()) continue;
            auto fail = [&](const std::string& msg) {
                out.errors.push_back(source + ":" + std::to_string(line_no) + ": " + msg);
            };
            ScriptStep st;
            st.line = line_no;
            const std::string& verb = w[0];
            int a = 0, b = 0;
            if (verb == "tap" && w.size() == 2) {
                st.kind = ScriptStep::Kind::Tap;
                st.arg = w[1];
            } else if (verb == "tap-at" && w.size() == 3 && to_int(w[1], a) && to_int(w[2], b)) {
                st.kind = ScriptStep::Kind::TapAt;
                st.x = static_cast<float>(a);
                st.y = static_cast<float>(b);
            } else if (verb == "drag" && w.size() == 3 && to_int(w[2], a)) {
                st.kind = ScriptStep::Kind::Drag;
                st.arg = w[1];
                st.count = a;
            } else if (verb == "visible" && w.size() == 2) {
                st.kind = ScriptStep::Kind::Visible;
                st.arg = w[1];
            } else if (verb == "fits" && w.size() == 1) {
                st.kind = ScriptStep::Kind::Fits;
            } else if (verb == "wait" && (w.size() == 2 || (w.size() == 3 && to_int(w[2], a) && a > 0))) {
                st.kind = ScriptStep::Kind::Wait;
                st.arg = w[1];
                st.count = w.size() == 3 ? a : 10;
            } else if (verb == "wait-sync" && w.size() == 1) {
                st.kind = ScriptStep::Kind::WaitSync;
            } else if (verb == "wait-file" && w.size() == 2) {
                st.kind = ScriptStep::Kind::WaitFile;
                st.arg = w[1];
            } else if (verb == "sleep" && w.size() == 2 && to_int(w[1], a) && a >= 0) {
                st.kind = ScriptStep::Kind::Sleep;
                st.count = a;
            } else if (verb == "screenshot" && w.size() == 2) {
                st.kind = ScriptStep::Kind::Screenshot;
                st.arg = w[1];
            } else if (verb == "measure" && w.size() == 2 && to_int(w[1], a) && a > 0) {
                st.kind = ScriptStep::Kind::Measure;
                st.count = a;
            } else if (verb == "slow-frames" && w.size() == 2 && to_int(w[1], a) && a >= 0 && a <= 10'000) {
                st.kind = ScriptStep::Kind::SlowFrames;
                st.count = a;
            } else if ((verb == "scan" || verb == "scan-without-enter") && w.size() >= 2) {
                st.kind = ScriptStep::Kind::Keys;
                st.arg = rest_of(chunk);
                st.count = 0;
                st.enter = verb == "scan";
            } else if (verb == "keys" && w.size() >= 3 && to_int(w[1], a) && a >= 0) {
                st.kind = ScriptStep::Kind::Keys;
                st.count = a;
                st.arg = rest_of(rest_of(chunk));
            } else if (verb == "type" && w.size() >= 2) {
                const std::string typed = rest_of(chunk);
                for (char c : typed) {
                    const bool upper = c >= 'A' && c <= 'Z';
                    const std::string target = key_target(upper ? static_cast<char>(c - 'A' + 'a') : c);
                    if (target.empty()) {
                        fail(std::string("no key for '") + c + "' in '" + typed + "'");
                        break;
                    }
                    ScriptStep tap = st;
                    tap.kind = ScriptStep::Kind::Tap;
                    if (upper) {
                        tap.arg = "key.shift";
                        out.steps.push_back(tap);
                    }
                    tap.arg = target;
                    out.steps.push_back(tap);
                }
                continue;
            } else if (verb == "quit" && w.size() == 1) {
                st.kind = ScriptStep::Kind::Quit;
            } else {
                fail("cannot understand '" + chunk + "'");
                continue;
            }
            out.steps.push_back(std::move(st));
        }
        if (nl == text.size()) break;
    }
    return out;
}

} // namespace kiosk::app
