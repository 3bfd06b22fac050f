#include "kiosk/his/curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace kiosk::his {

namespace {

// curl_global_init is not thread-safe in libcurl 7.88; a function-local static runs it exactly once per
// process, whichever thread gets here first. It is never undone (curl_global_cleanup at exit buys nothing
// and would race with transports still alive in other static objects).
CURLcode global_init_once() {
    static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
    return result;
}

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

constexpr std::string_view kWhitespace = " \t\r\n";

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(kWhitespace);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(kWhitespace);
    return text.substr(first, last - first + 1);
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// An HTTP method as we send it: an upper-case token, so nothing can be smuggled into the request line.
bool valid_method(std::string_view method) {
    return !method.empty() && method.size() <= 16 &&
           std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// A header name is an RFC 9110 token; a value must not break the header block (no CR, LF or NUL).
bool valid_header(std::string_view name, std::string_view value) {
    constexpr std::string_view kTokenExtra = "!#$%&'*+-.^_`|~";
    const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               kTokenExtra.find(c) != std::string_view::npos;
    });
    return name_ok && value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

long clamp_ms(std::chrono::milliseconds ms) {
    // 0 would mean "no timeout" to libcurl; the kiosk always wants one.
    const auto count =
        std::clamp<std::chrono::milliseconds::rep>(ms.count(), 1, std::numeric_limits<long>::max());
    return static_cast<long>(count);
}

// What the callbacks of one perform() fill in; lives on send()'s stack.
struct Transfer {
    CURL* handle = nullptr;
    std::size_t max_bytes = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    std::string last_header; // for obsolete folded continuation lines
    bool too_large = false;  // we aborted because of max_bytes
    bool length_checked = false;
    const std::atomic<bool>* stop = nullptr; // TransportOptions::stop
    bool stopped = false;                    // we aborted because the kiosk is stopping
};

// libcurl calls this often while data flows and about once a second while it waits: a non-zero return
// aborts the transfer (CURLE_ABORTED_BY_CALLBACK). That is how a stop reaches a request that hangs.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t == nullptr || t->stop == nullptr || !t->stop->load(std::memory_order_relaxed)) return 0;
    t->stopped = true;
    return 1;
}

// Not noexcept: libcurl calls it as a curl_write_callback, so the types must match; nothing escapes anyway.
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    try {
        if (!t->length_checked) {
            t->length_checked = true;
            // A declared length over the cap fails at once. Skipped when the body is content-encoded: the
            // length is then of the compressed bytes, and the cap applies to what we hand on.
            curl_off_t declared = -1;
            const auto encoding = t->headers.find("content-encoding");
            const bool identity =
                encoding == t->headers.end() || equals_ignore_case(encoding->second, "identity");
            if (identity &&
                curl_easy_getinfo(t->handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &declared) == CURLE_OK &&
                declared > 0 && static_cast<unsigned long long>(declared) > t->max_bytes) {
                t->too_large = true;
                return 0;
            }
        }
        if (n > t->max_bytes - t->body.size()) {
            t->too_large = true;
            return 0;
        }
        t->body.append(data, n);
        return n;
    } catch (...) { // bad_alloc must not unwind through libcurl
        return 0;
    }
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    try {
        const std::string_view line(data, n);
        if (line.starts_with("HTTP/")) {
            // A new status line: interim (1xx) replies' headers are not the final reply's.
            t->headers.clear();
            t->last_header.clear();
            return n;
        }
        if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            const auto more = trim(line);
            if (!t->last_header.empty() && !more.empty()) {
                auto& value = t->headers[t->last_header];
                if (!value.empty()) value += ' ';
                value += more;
            }
            return n;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return n; // the blank line that ends the block
        auto name = to_lower(trim(line.substr(0, colon)));
        if (name.empty()) return n;
        t->headers[name] = std::string(trim(line.substr(colon + 1))); // repeated: the last one wins
        t->last_header = std::move(name);
        return n;
    } catch (...) {
        return 0;
    }
}

TransportError classify(CURLcode code, bool too_large, bool stopped) {
    switch (code) {
    case CURLE_OK:
        return TransportError::None;
    case CURLE_ABORTED_BY_CALLBACK:
        return stopped ? TransportError::Aborted : TransportError::Other;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_PROXY:
        return TransportError::Connect;
    case CURLE_OPERATION_TIMEDOUT:
        return TransportError::Timeout;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return TransportError::Interrupted;
    case CURLE_WRITE_ERROR:
        return too_large ? TransportError::TooLarge : TransportError::Other;
    case CURLE_FILESIZE_EXCEEDED:
        return TransportError::TooLarge;
    default:
        return TransportError::Other;
    }
}

// The request's headers as a libcurl list in `out`; returns what is wrong instead ("" when all is well).
std::string build_headers(const HttpRequest& request, bool has_body, Slist& out) {
    const auto append = [&out](const std::string& line) {
        curl_slist* head = curl_slist_append(out.get(), line.c_str()); // the old head, or a new list
        if (head == nullptr) return false;
        static_cast<void>(out.release());
        out.reset(head);
        return true;
    };
    bool has_expect = false;
    for (const auto& [name, value] : request.headers) {
        // The value is not quoted back: it may carry an identifier.
        if (!valid_header(name, value))
            return "invalid HTTP header (name not a token, or CR/LF in the value); not sent";
        has_expect = has_expect || equals_ignore_case(name, "Expect");
        // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove it).
        if (!append(value.empty() ? name + ";" : name + ": " + value))
            return "out of memory building headers";
    }
    // No "Expect: 100-continue" round trip before large bodies.
    if (has_body && !has_expect && !append("Expect:")) return "out of memory building headers";
    return {};
}

} // namespace

struct CurlTransport::Impl {
    TransportOptions options;
    CURL* handle = nullptr;
    std::array<char, CURL_ERROR_SIZE> error_buffer{};

    explicit Impl(TransportOptions opts) : options(std::move(opts)) {
        if (const CURLcode rc = global_init_once(); rc != CURLE_OK)
            throw TransportInitError(std::string("libcurl: curl_global_init failed: ") +
                                     curl_easy_strerror(rc));
        handle = curl_easy_init();
        if (handle == nullptr) throw TransportInitError("libcurl: curl_easy_init failed");
        try {
            set_fixed_options();
        } catch (...) {
            curl_easy_cleanup(handle);
            throw;
        }
    }
    ~Impl() { curl_easy_cleanup(handle); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    Impl(Impl&&) = delete;
    Impl& operator=(Impl&&) = delete;

    template <typename Value> void fixed(CURLoption option, Value value, const char* name) {
        if (const CURLcode rc = curl_easy_setopt(handle, option, value); rc != CURLE_OK)
            throw TransportInitError(std::string("libcurl refused ") + name + ": " + curl_easy_strerror(rc));
    }

    // Options that are the same for every request. The handle is never reset, so they stay set.
    void set_fixed_options() {
        fixed(CURLOPT_ERRORBUFFER, error_buffer.data(), "CURLOPT_ERRORBUFFER");
        fixed(CURLOPT_NOSIGNAL, 1L, "CURLOPT_NOSIGNAL");
        fixed(CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(options.connect_timeout), "CURLOPT_CONNECTTIMEOUT_MS");
        fixed(CURLOPT_TIMEOUT_MS, clamp_ms(options.total_timeout), "CURLOPT_TIMEOUT_MS");
        // The stop flag is checked in the progress callback (its data is set per request, like WRITEDATA).
        fixed(CURLOPT_XFERINFOFUNCTION, static_cast<curl_xferinfo_callback>(&on_progress),
              "CURLOPT_XFERINFOFUNCTION");
        fixed(CURLOPT_NOPROGRESS, options.stop != nullptr ? 0L : 1L, "CURLOPT_NOPROGRESS");
        fixed(CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR");
        fixed(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "CURLOPT_REDIR_PROTOCOLS_STR");
        fixed(CURLOPT_FOLLOWLOCATION, 0L, "CURLOPT_FOLLOWLOCATION");
        fixed(CURLOPT_SSL_VERIFYPEER, 1L, "CURLOPT_SSL_VERIFYPEER");
        fixed(CURLOPT_SSL_VERIFYHOST, 2L, "CURLOPT_SSL_VERIFYHOST");
        if (!options.ca_bundle.empty()) fixed(CURLOPT_CAINFO, options.ca_bundle.c_str(), "CURLOPT_CAINFO");
        if (!options.user_agent.empty())
            fixed(CURLOPT_USERAGENT, options.user_agent.c_str(), "CURLOPT_USERAGENT");
        fixed(CURLOPT_ACCEPT_ENCODING, "", "CURLOPT_ACCEPT_ENCODING"); // every encoding libcurl decodes
        fixed(CURLOPT_WRITEFUNCTION, static_cast<curl_write_callback>(&on_body), "CURLOPT_WRITEFUNCTION");
        fixed(CURLOPT_HEADERFUNCTION, static_cast<curl_write_callback>(&on_header), "CURLOPT_HEADERFUNCTION");
        fixed(CURLOPT_TCP_KEEPALIVE, 1L, "CURLOPT_TCP_KEEPALIVE");
    }

    HttpResponse send(const HttpRequest& request) {
        if (!valid_method(request.method))
            return transport_failure(TransportError::Other,
                                     "invalid HTTP method (not an upper-case token); not sent");
        const bool bodiless = request.method == "GET" || request.method == "HEAD";
        if (bodiless && !request.body.empty())
            return transport_failure(TransportError::Other,
                                     request.method + " request with a body; not sent");
        const bool has_body = !bodiless && (!request.body.empty() || request.method == "POST" ||
                                            request.method == "PUT" || request.method == "PATCH");
        Slist headers;
        if (auto problem = build_headers(request, has_body, headers); !problem.empty())
            return transport_failure(TransportError::Other, std::move(problem));

        if (stopping()) return transport_failure(TransportError::Aborted, "not sent: the kiosk is stopping");
        // The caller's deadline shortens this request's timeouts (never lengthens them).
        auto connect_timeout = options.connect_timeout, total_timeout = options.total_timeout;
        if (request.deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                *request.deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return transport_failure(TransportError::Timeout,
                                         "not sent: the caller's deadline has passed");
            connect_timeout = std::min(connect_timeout, left);
            total_timeout = std::min(total_timeout, left);
        }

        Transfer transfer;
        transfer.handle = handle;
        transfer.max_bytes = options.max_response_bytes;
        transfer.stop = options.stop;
        if (const CURLcode rc = set_timeouts(connect_timeout, total_timeout); rc != CURLE_OK)
            return transport_failure(TransportError::Other,
                                     std::string("libcurl: ") + curl_easy_strerror(rc));
        if (const CURLcode rc = set_request_options(request, has_body, headers.get(), transfer);
            rc != CURLE_OK) {
            release_request_pointers();
            return transport_failure(TransportError::Other,
                                     std::string("libcurl: ") + curl_easy_strerror(rc));
        }
        error_buffer[0] = '\0';
        const CURLcode rc = curl_easy_perform(handle);
        HttpResponse response = finish(rc, transfer);
        release_request_pointers();
        return response;
    }

    [[nodiscard]] bool stopping() const {
        return options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
    }

    // Set for every request: a deadline of the previous one must not carry over.
    CURLcode set_timeouts(std::chrono::milliseconds connect, std::chrono::milliseconds total) {
        CURLcode rc = curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(connect));
        if (rc == CURLE_OK) rc = curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, clamp_ms(total));
        return rc;
    }

    // Everything that differs between requests. The method is set in full every time (NOBODY, then
    // POSTFIELDS or HTTPGET, then CUSTOMREQUEST), so nothing carries over from the previous request.
    CURLcode set_request_options(const HttpRequest& request, bool has_body, curl_slist* headers,
                                 Transfer& transfer) {
        CURLcode rc = CURLE_OK;
        const auto set = [&](CURLoption option, auto value) {
            if (rc == CURLE_OK) rc = curl_easy_setopt(handle, option, value);
        };
        set(CURLOPT_URL, request.url.c_str());
        set(CURLOPT_HTTPHEADER, headers);
        set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
        set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
        set(CURLOPT_XFERINFODATA, static_cast<void*>(&transfer));
        const bool head = request.method == "HEAD";
        set(CURLOPT_NOBODY, head ? 1L : 0L);
        if (has_body) {
            set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
            set(CURLOPT_POSTFIELDS, request.body.data());
        } else if (!head) {
            set(CURLOPT_HTTPGET, 1L);
        }
        const bool custom = !head && request.method != "GET" && request.method != "POST";
        set(CURLOPT_CUSTOMREQUEST, custom ? request.method.c_str() : static_cast<const char*>(nullptr));
        return rc;
    }

    HttpResponse finish(CURLcode rc, Transfer& transfer) {
        HttpResponse response;
        response.error = classify(rc, transfer.too_large, transfer.stopped);
        if (response.error == TransportError::None) {
            long status = 0;
            curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
            response.status = status;
            response.headers = std::move(transfer.headers);
            response.body = std::move(transfer.body);
            return response;
        }
        response.error_detail = curl_easy_strerror(rc);
        if (response.error == TransportError::TooLarge) {
            response.error_detail += ": the reply exceeds ";
            response.error_detail += std::to_string(options.max_response_bytes);
            response.error_detail += " bytes";
        }
        if (error_buffer[0] != '\0') {
            response.error_detail += ": ";
            response.error_detail += error_buffer.data();
        }
        return response;
    }

    // The handle must not keep pointers into this request (its headers, body or Transfer) past send().
    void release_request_pointers() const {
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, static_cast<void*>(nullptr));
        curl_easy_setopt(handle, CURLOPT_HEADERDATA, static_cast<void*>(nullptr));
        curl_easy_setopt(handle, CURLOPT_XFERINFODATA, static_cast<void*>(nullptr));
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
        curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
    }
};

CurlTransport::CurlTransport(TransportOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
CurlTransport::~CurlTransport() = default;
CurlTransport::CurlTransport(CurlTransport&&) noexcept = default;
CurlTransport& CurlTransport::operator=(CurlTransport&&) noexcept = default;

HttpResponse CurlTransport::send(const HttpRequest& request) {
    if (!impl_) return transport_failure(TransportError::Other, "CurlTransport used after being moved from");
    try {
        return impl_->send(request);
    } catch (const std::exception& e) { // bad_alloc and the like; network problems never get here
        return transport_failure(TransportError::Other, e.what());
    }
}

} // namespace kiosk::his
