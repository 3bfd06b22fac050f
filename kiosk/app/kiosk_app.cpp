#include "kiosk/app/kiosk_app.hpp"

#include "kiosk/app/frame_stats.hpp"
#include "kiosk/app/patient_finder.hpp"
#include "kiosk/app/pointer.hpp"
#include "kiosk/app/sdl_draw.hpp"
#include "kiosk/app/work_queue.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/scan_detector.hpp"
#include "kiosk/core/text.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/oauth2.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk/sync/sync_worker.hpp"
#include "kiosk/ui/flow.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/screens.hpp"
#include "kiosk/ui/theme.hpp"

#include <SDL.h>
#include <fcntl.h>
#include <imgui.h>
#include <imgui_impl_sdl.h>
#include <imgui_impl_sdlrenderer.h>
#include <spdlog/spdlog.h>
#include <stb_image_write.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <numeric>
#include <sstream>
#include <system_error>
#include <thread>

namespace kiosk::app {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

ui::Connectivity::Link link_view(sync::HisLink l) {
    using L = ui::Connectivity::Link;
    switch (l) {
    case sync::HisLink::Unknown:
        return L::Unknown;
    case sync::HisLink::Connected:
        return L::Connected;
    case sync::HisLink::Sending:
        return L::Sending;
    case sync::HisLink::Offline:
        return L::Offline;
    case sync::HisLink::CredentialsRefused:
        return L::CredentialsRefused;
    case sync::HisLink::ServerError:
    case sync::HisLink::SyncFailing: // records cannot go now either; the log says why
        return L::ServerError;
    }
    return L::Unknown;
}

ui::Language language_of(const std::string& code) {
    return code == "en" ? ui::Language::En : ui::Language::Vi;
}

ui::SiteView site_view(const SiteConfig& c) {
    ui::SiteView v;
    v.hospital_name = c.identity.hospital_name;
    v.hospital_name_en = c.identity.hospital_name_en;
    v.kiosk_id = c.identity.kiosk.kiosk_id;
    v.services = c.services;
    v.utc_offset_minutes = c.identity.kiosk.utc_offset_minutes;
    v.bilingual = c.display.languages.size() > 1;
    return v;
}

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<unsigned char>*>(context);
    const auto* bytes = static_cast<const unsigned char*>(data);
    out->insert(out->end(), bytes, bytes + size);
}

// Writes the screen as a PNG; returns what went wrong (for the person who asked for it), or nothing.
// Every write is checked down to the close: a full disk or /dev/full must not pass as a screenshot.
std::optional<std::string> save_png(SDL_Renderer* renderer, const std::filesystem::path& file) {
    const std::string name = file.string();
    int w = 0, h = 0;
    if (SDL_GetRendererOutputSize(renderer, &w, &h) != 0)
        return "cannot read the screen size for screenshot " + name + ": " + SDL_GetError();
    std::vector<unsigned char> px(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4);
    if (SDL_RenderReadPixels(renderer, nullptr, SDL_PIXELFORMAT_RGBA32, px.data(), w * 4) != 0)
        return "cannot read the screen for screenshot " + name + ": " + SDL_GetError();
    std::vector<unsigned char> png;
    if (!stbi_write_png_to_func(append_bytes, &png, w, h, 4, px.data(), w * 4))
        return "cannot encode screenshot " + name + " as PNG";
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) return "cannot create the folder of screenshot " + name + ": " + ec.message();
    errno = 0;
    std::FILE* f = std::fopen(name.c_str(), "wb");
    if (!f) return "cannot write screenshot " + name + ": " + std::strerror(errno ? errno : EIO);
    const bool written = std::fwrite(png.data(), 1, png.size(), f) == png.size() && std::fflush(f) == 0;
    const int write_errno = errno;
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed)
        return "cannot write screenshot " + name + ": " +
               std::strerror(write_errno ? write_errno
                             : errno     ? errno
                                         : EIO);
    return std::nullopt;
}

// The OAuth2 client secret: the whole file, without a trailing newline. Never logged.
std::string read_secret(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
        throw StartupError(
            "cannot read the HIS client secret file " + file.string() +
            " ([his] client_secret_file): check that it exists and the kiosk's user can read it");
    std::error_code ec;
    const auto perms = std::filesystem::status(file, ec).permissions();
    if (!ec && (perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) !=
                   std::filesystem::perms::none)
        throw StartupError("the HIS client secret file " + file.string() +
                           " can be read by other users: make it the kiosk user's alone with: chmod 600 " +
                           file.string());
    std::string secret = text.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
        secret.pop_back();
    if (secret.empty()) throw StartupError("the HIS client secret file " + file.string() + " is empty");
    return secret;
}

// The SQLite side, owned by the store worker thread.
struct Store {
    store::Database db;
    store::TicketStore tickets;
    store::PatientRegistry patients;
    explicit Store(store::Database&& d) : db(std::move(d)), tickets(db), patients(db) {}
};

// Patient lookups, owned by the lookup worker thread: its own SQLite connection and, with a HIS, its own
// HTTP connection with short timeouts (a patient is waiting at the screen).
struct Lookup {
    explicit Lookup(store::Database&& d) : db(std::move(d)) {}
    store::Database db;
    core::SystemClock clock;
    std::optional<his::CurlTransport> curl;
    std::optional<his::ObservedTransport> observed; // tells the sync status how each exchange went
    std::optional<his::OAuth2Transport> oauth2;
    std::optional<sync::PatientLookup> his;
    std::optional<PatientFinder> finder;
    core::UnixMillis retention_done_at = 0;

    // Forgets old patient data at most once a day (on start and before lookups).
    void retention(int days) {
        constexpr core::UnixMillis kDay = 24LL * 60 * 60 * 1000;
        const core::UnixMillis now = clock.now();
        if (retention_done_at != 0 && now - retention_done_at < kDay) return;
        retention_done_at = now;
        if (const auto n = finder->forget_older_than(now - days * kDay))
            spdlog::info("forgot {} patient record(s) older than {} days", n, days);
    }
};

class KioskApp {
public:
    KioskApp(const SiteConfig& config, const Options& options)
        : config_(config), options_(options), site_(site_view(config)),
          flow_(language_of(config.display.languages.front())) {}

    int run();

private:
    void init_sdl();
    [[nodiscard]] Options::Size expected_size() const;
    void create_window(Options::Size size);
    void build_fonts(float em);
    void init_imgui(float built_em);
    void start_sync();
    void handle_event(const SDL_Event& e);
    void frame();
    void dispatch(const ui::Event& event);
    void run(const ui::Effect& effect);
    void check_idle();
    int wait_timeout_ms() const;
    void script_tick();
    void script_fail(const std::string& message);
    void inject_button(Uint32 type, ImVec2 at);
    void inject_motion(ImVec2 at);
    void inject_keys(const ScriptStep& st);
    void start_lookup();
    void lookup_patient(const ui::fx::LookupPatient& fx);
    void register_patient(const ui::fx::RegisterPatient& fx);
    [[nodiscard]] int current_year() const;
    [[nodiscard]] store::IdentifierSystems identifier_systems() const;

    const SiteConfig& config_;
    const Options& options_;
    ui::SiteView site_;
    ui::Flow flow_;
    ui::Catalogs catalogs_;
    core::SystemClock clock_;

    SDL_Window* window_ = nullptr;
    SDL_Renderer* renderer_ = nullptr;
    Uint32 wake_event_ = 0;
    bool imgui_ready_ = false;
    ui::FontSet fonts_;
    ui::TapTargets targets_;
    ui::ScreenMemory memory_;
    Pointer pointer_;

    bool running_ = true;
    int exit_code_ = 0;
    int frames_pending_ = 3;
    bool ready_announced_ = false;
    Clock::time_point last_input_ = Clock::now();
    double last_frame_cpu_ms_ = 0;
    double last_frame_ms_ = 0; // build + render + present
    int slow_frame_ms_ = 0;    // script step slow-frames: extra time each frame takes
    std::optional<std::filesystem::path> screenshot_request_;

    // Script progress.
    std::size_t step_ = 0;
    int step_phase_ = 0;
    Clock::time_point step_started_ = Clock::now();
    std::vector<FrameSample> measured_;
    Clock::time_point measure_first_at_; // when the step's first sample was taken
    std::optional<ImVec2> drag_origin_;  // where the current scripted press started
    int step_phase_characters_ = 0;      // characters a keys step has typed so far

    ui::Connectivity connectivity_;
    std::uint64_t sync_kicks_sent_ = 0; // SyncWorker::kick()'s count after the newest record
    std::uint64_t sync_kicks_seen_ = 0; // ... and the one the newest status had seen
    core::ScanDetector scanner_;        // the barcode scanner typing as a keyboard
    // Set when the kiosk stops (SIGTERM, quit): every HIS transfer in flight is aborted at once
    // (TransportOptions::stop) instead of holding the exit until its timeout.
    std::atomic<bool> his_stop_{false};

    std::unique_ptr<Lookup> lookup_; // touched only on the lookup worker thread
    std::unique_ptr<Worker> lookup_worker_;

    // Declared last: destroyed first (the worker finishes pending writes before the queue goes away).
    std::unique_ptr<Store> store_; // touched only on the worker thread
    std::unique_ptr<MainQueue> main_queue_;
    std::unique_ptr<Worker> worker_;
    std::unique_ptr<sync::SyncWorker> sync_; // the HIS sync; null when no HIS is configured

public:
    ~KioskApp();
};

KioskApp::~KioskApp() {
    his_stop_.store(true);  // aborts the HIS requests in flight: the workers below then end at once
    lookup_worker_.reset(); // after the lookup in flight (aborted by his_stop_)
    lookup_.reset();
    sync_.reset();   // stops after the request in flight
    worker_.reset(); // joins after the queued writes
    if (imgui_ready_) {
        ImGui_ImplSDLRenderer_Shutdown();
        ImGui_ImplSDL2_Shutdown();
        ImGui::DestroyContext();
    }
    if (renderer_) SDL_DestroyRenderer(renderer_);
    if (window_) SDL_DestroyWindow(window_);
    SDL_Quit();
}

void KioskApp::init_sdl() {
    if (options_.headless) {
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "offscreen");
        // The software renderer needs no GL: without this SDL loads Mesa (~60 ms, ~100 MB) to probe it.
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    }
    SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "1"); // a tap arrives as a left click
    SDL_SetHint(SDL_HINT_MOUSE_TOUCH_EVENTS, "0");
    SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0)
        throw StartupError(std::string("cannot open the display (SDL: ") + SDL_GetError() +
                           "); is a display attached, or run with --headless");
    wake_event_ = SDL_RegisterEvents(1);
}

Options::Size KioskApp::expected_size() const {
    if (options_.windowed) return *options_.windowed;
    SDL_DisplayMode mode{};
    if (!options_.headless && SDL_GetDesktopDisplayMode(0, &mode) == 0) return {mode.w, mode.h};
    return {1920, 1080};
}

void KioskApp::create_window(Options::Size size) {
    Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_ALLOW_HIGHDPI;
    if (!options_.windowed && !options_.headless)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_BORDERLESS;
    window_ =
        SDL_CreateWindow("Kiosk", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, size.w, size.h, flags);
    if (!window_) throw StartupError(std::string("cannot create the window: ") + SDL_GetError());
    // SDL_Renderer: GPU-accelerated where the kiosk has a driver, software otherwise (and headless), and
    // SDL_RenderReadPixels gives screenshots on both.
    if (!options_.headless)
        renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!renderer_) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
    if (!renderer_) throw StartupError(std::string("cannot create a renderer: ") + SDL_GetError());
    if (!options_.windowed && !options_.headless) SDL_ShowCursor(SDL_DISABLE);
    SDL_RendererInfo info{};
    SDL_GetRendererInfo(renderer_, &info);
    spdlog::info("video driver {}, renderer {}", SDL_GetCurrentVideoDriver(), info.name);
}

void KioskApp::build_fonts(float em) {
    try {
        fonts_.build(config_.display.font_regular, config_.display.font_bold, em,
                     ui::texts_for_glyphs(catalogs_, site_));
    } catch (const ui::FontError& e) {
        throw StartupError(e.what());
    }
}

void KioskApp::init_imgui(float built_em) {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext(fonts_.atlas());
    imgui_ready_ = true;
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // a kiosk keeps no window layout
    io.LogFilename = nullptr;
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(renderer_, &w, &h);
    const ui::BaseFont base = ui::base_font(w, h, config_.display.ui_scale);
    const float em = base.px;
    if (em != built_em) build_fonts(em); // the screen is not the size SDL announced: rebuild to fit
    io.FontDefault = fonts_.fonts().body;
    ui::apply_kiosk_style(ImGui::GetStyle(), em);
    ImGui_ImplSDL2_InitForSDLRenderer(window_);
    ImGui_ImplSDLRenderer_Init(renderer_);
    const ImFontAtlas* atlas = fonts_.atlas();
    spdlog::info("screen {}x{}, font {} px (rasterised up to {} px, atlas {}x{})", w, h, em,
                 fonts_.raster_px(fonts_.fonts().huge), atlas->TexWidth, atlas->TexHeight);
    if (base.clamped())
        spdlog::warn("ui_scale {} asks for {} px text, more than a {}x{} screen can hold: the kiosk uses {} "
                     "px, as ui_scale {:.2f} would",
                     config_.display.ui_scale, base.requested_px, w, h, em,
                     config_.display.ui_scale * em / base.requested_px);
}

void KioskApp::start_sync() {
    if (config_.his.base_url.empty()) {
        spdlog::info("no HIS configured ([his] base_url): records stay in the outbox");
        return;
    }
    connectivity_.configured = true;
    sync::HisConnection his;
    his.base_url = config_.his.base_url;
    his.identifier_base = config_.his.identifier_base;
    his.transport.user_agent = "kiosk/" KIOSK_VERSION " (" + config_.identity.kiosk.site_id + "/" +
                               config_.identity.kiosk.kiosk_id + ")";
    his.transport.ca_bundle = config_.his.ca_bundle.string();
    his.transport.stop = &his_stop_;
    his.sync.batch_size = config_.sync.batch_size;
    his.sync.backoff_base = std::chrono::seconds(config_.sync.retry_first_seconds);
    his.sync.backoff_max = std::chrono::seconds(config_.sync.retry_max_seconds);
    his.download_every = std::chrono::minutes(config_.sync.reference_download_minutes);
    if (!config_.his.token_url.empty())
        his.oauth2 = his::OAuth2Settings{config_.his.token_url, config_.his.client_id,
                                         read_secret(config_.his.client_secret_file), std::nullopt};
    sync_ = std::make_unique<sync::SyncWorker>(config_.storage.data_dir / "kiosk.db", std::move(his),
                                               [this](const sync::SyncStatus& st, std::uint64_t seen) {
                                                   main_queue_->post([this, st, seen] {
                                                       sync_kicks_seen_ = seen;
                                                       connectivity_.known = true;
                                                       connectivity_.online = st.online;
                                                       connectivity_.link = link_view(st.link);
                                                       connectivity_.offline_since = st.offline_since;
                                                       connectivity_.waiting = st.waiting;
                                                       frames_pending_ = std::max(frames_pending_, 1);
                                                   });
                                               });
}

void KioskApp::inject_button(Uint32 type, ImVec2 at) {
    SDL_Event e{};
    e.type = type;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
    e.button.clicks = 1;
    e.button.which = SDL_TOUCH_MOUSEID; // as SDL reports a finger
    e.button.windowID = SDL_GetWindowID(window_);
    e.button.x = static_cast<Sint32>(at.x);
    e.button.y = static_cast<Sint32>(at.y);
    SDL_PushEvent(&e);
}

void KioskApp::inject_motion(ImVec2 at) {
    SDL_Event e{};
    e.type = SDL_MOUSEMOTION;
    e.motion.which = SDL_TOUCH_MOUSEID;
    e.motion.windowID = SDL_GetWindowID(window_);
    e.motion.state = SDL_BUTTON_LMASK;
    e.motion.x = static_cast<Sint32>(at.x);
    e.motion.y = static_cast<Sint32>(at.y);
    SDL_PushEvent(&e);
}

void KioskApp::handle_event(const SDL_Event& e) {
    ImGui_ImplSDL2_ProcessEvent(&e);
    bool input = true;
    switch (e.type) {
    case SDL_QUIT:
        running_ = false;
        break;
    case SDL_MOUSEMOTION:
        pointer_.move(static_cast<float>(e.motion.x), static_cast<float>(e.motion.y));
        break;
    case SDL_MOUSEBUTTONDOWN:
        if (e.button.button == SDL_BUTTON_LEFT)
            pointer_.press(static_cast<float>(e.button.x), static_cast<float>(e.button.y),
                           e.button.which == SDL_TOUCH_MOUSEID);
        break;
    case SDL_MOUSEBUTTONUP:
        if (e.button.button == SDL_BUTTON_LEFT)
            pointer_.release(static_cast<float>(e.button.x), static_cast<float>(e.button.y));
        break;
    case SDL_TEXTINPUT:
        scanner_.text(e.text.text, e.text.timestamp);
        break;
    case SDL_KEYDOWN:
        if (e.key.keysym.sym == SDLK_RETURN || e.key.keysym.sym == SDLK_KP_ENTER) {
            if (auto text = scanner_.enter(e.key.timestamp)) {
                // The scanned text is personal data: it goes to the flow and is wiped, never logged.
                spdlog::info("scan received on {}", ui::screen_name(flow_.screen()));
                dispatch(ui::ev::Scanned{*text, current_year()});
                core::wipe(*text);
            }
        }
        break;
    case SDL_MOUSEWHEEL:
    case SDL_KEYUP:
    case SDL_FINGERDOWN:
    case SDL_FINGERMOTION:
    case SDL_FINGERUP:
        break;
    default:
        input = false;
        break;
    }
    if (input) last_input_ = Clock::now();
    frames_pending_ = std::max(frames_pending_, 3);
}

void KioskApp::dispatch(const ui::Event& event) {
    const ui::Screen before = flow_.screen();
    const std::vector<ui::Effect> effects = flow_.handle(event);
    if (flow_.screen() != before) {
        spdlog::info("screen {} -> {}", ui::screen_name(before), ui::screen_name(flow_.screen()));
        if (flow_.screen() == ui::Screen::ChooseService) memory_.service_scroll = {};
    }
    frames_pending_ = std::max(frames_pending_, 3);
    if (flow_.screen() == ui::Screen::Welcome) scanner_.reset(); // nothing of a patient lingers
    for (const ui::Effect& effect : effects)
        run(effect);
}

void KioskApp::run(const ui::Effect& effect) {
    if (std::holds_alternative<ui::fx::ForgetPatient>(effect)) {
        memory_ = ui::ScreenMemory{};
        scanner_.reset();
    }
    if (const auto* lookup = std::get_if<ui::fx::LookupPatient>(&effect)) lookup_patient(*lookup);
    if (const auto* reg = std::get_if<ui::fx::RegisterPatient>(&effect)) register_patient(*reg);
    if (const auto* issue = std::get_if<ui::fx::IssueTicket>(&effect)) {
        const auto it = std::find_if(config_.services.begin(), config_.services.end(),
                                     [&](const core::Service& s) { return s.code == issue->service_code; });
        if (it == config_.services.end()) {
            flow_.handle(ui::ev::TicketFailed{issue->request});
            return;
        }
        worker_->post([this, request = issue->request, service = *it, kiosk = config_.identity.kiosk,
                       patient = issue->patient] {
            const auto t0 = Clock::now();
            try {
                core::Ticket t = store_->tickets.issue(kiosk, service, clock_.now(), patient);
                spdlog::info("ticket {} ({}) stored in {:.2f} ms", t.display_number, t.reference,
                             ms_between(t0, Clock::now()));
                main_queue_->post([this, request, t = std::move(t)] {
                    if (sync_) sync_kicks_sent_ = sync_->kick(); // a new record for the HIS
                    dispatch(ui::ev::TicketStored{request, t});
                });
            } catch (const std::exception& e) {
                spdlog::error("could not issue a ticket for {}: {}", service.code, e.what());
                main_queue_->post([this, request] { dispatch(ui::ev::TicketFailed{request}); });
            }
        });
    }
}

int KioskApp::current_year() const {
    return core::local_date(clock_.now(), config_.identity.kiosk.utc_offset_minutes).year;
}

store::IdentifierSystems KioskApp::identifier_systems() const {
    return store::IdentifierSystems{config_.his.cccd_system, config_.his.bhyt_system};
}

void KioskApp::start_lookup() {
    lookup_worker_ = std::make_unique<Worker>();
    lookup_worker_->post([this] {
        try {
            auto l = std::make_unique<Lookup>(store::Database::open(config_.storage.data_dir / "kiosk.db"));
            sync::PatientLookup* his_lookup = nullptr;
            if (!config_.his.base_url.empty()) {
                // The lookup owns its total wait (PatientLookup's deadline); the transport's timeouts are
                // only a bound under it.
                const std::chrono::milliseconds deadline =
                    std::chrono::seconds(config_.his.lookup_timeout_seconds);
                his::TransportOptions t;
                t.connect_timeout = std::min<std::chrono::milliseconds>(std::chrono::seconds(3), deadline);
                t.total_timeout = deadline;
                t.stop = &his_stop_;
                t.ca_bundle = config_.his.ca_bundle.string();
                t.user_agent = "kiosk/" KIOSK_VERSION " (" + config_.identity.kiosk.site_id + "/" +
                               config_.identity.kiosk.kiosk_id + ")";
                l->curl.emplace(t);
                // A lookup that got an answer proves the HIS reachable for the indicator too.
                l->observed.emplace(*l->curl, [this](his::Exchange e) {
                    if (sync_) sync_->report(e);
                });
                his::HttpTransport* transport = &*l->observed;
                if (!config_.his.token_url.empty()) {
                    l->oauth2.emplace(*l->observed,
                                      his::OAuth2Settings{config_.his.token_url, config_.his.client_id,
                                                          read_secret(config_.his.client_secret_file),
                                                          std::nullopt},
                                      l->clock);
                    transport = &*l->oauth2;
                }
                l->his.emplace(*transport, config_.his.base_url, l->db, l->clock, deadline);
                his_lookup = &*l->his;
            }
            l->finder.emplace(l->db, his_lookup, identifier_systems(), l->clock);
            l->retention(config_.storage.patient_cache_days);
            lookup_ = std::move(l);
        } catch (const std::exception& e) {
            spdlog::error("patient lookup unavailable: {}", e.what());
        }
    });
}

void KioskApp::lookup_patient(const ui::fx::LookupPatient& fx) {
    lookup_worker_->post([this, request = fx.request, kind = fx.kind, value = fx.value]() mutable {
        core::LookupOutcome outcome;
        const auto t0 = Clock::now();
        try {
            if (!lookup_) throw std::runtime_error("patient lookup is not available");
            lookup_->retention(config_.storage.patient_cache_days);
            outcome = lookup_->finder->find(kind, value);
            static constexpr const char* kinds[] = {"found", "not found", "several patients",
                                                    "the HIS could not be asked"};
            spdlog::info("patient lookup by {}: {}{} in {:.0f} ms",
                         kind == core::IdKind::Cccd ? "CCCD" : "BHYT", kinds[static_cast<int>(outcome.kind)],
                         outcome.his_offline ? " (HIS unreachable)" : "", ms_between(t0, Clock::now()));
        } catch (const std::exception& e) {
            // The kiosk's own records could not be read: nobody can say whether the patient is known, so
            // no registration (it could duplicate them): the patient is sent to the desk; staff see why.
            spdlog::error("patient lookup failed: {}", e.what());
            outcome = core::LookupOutcome{};
            outcome.kind = core::LookupOutcome::Kind::HisUnavailable;
            outcome.his_offline = true;
        }
        core::wipe(value);
        main_queue_->post([this, request, outcome = std::move(outcome)] {
            dispatch(ui::ev::LookupDone{request, outcome});
        });
    });
}

void KioskApp::register_patient(const ui::fx::RegisterPatient& fx) {
    worker_->post(
        [this, request = fx.request, details = fx.details, kiosk = config_.identity.kiosk]() mutable {
            try {
                const store::RegisteredPatient p =
                    store_->patients.register_patient(kiosk, details, identifier_systems(), clock_.now());
                spdlog::info("patient registered at the kiosk as {}", p.kiosk_patient_id);
                core::KnownPatient known;
                known.masked_name = core::mask_name(p.details.full_name);
                known.kiosk_patient_id = p.kiosk_patient_id;
                main_queue_->post([this, request, known = std::move(known)] {
                    if (sync_) sync_kicks_sent_ = sync_->kick(); // a new record for the HIS
                    dispatch(ui::ev::Registered{request, known});
                });
            } catch (const std::exception& e) {
                spdlog::error("could not register a patient: {}", e.what());
                main_queue_->post([this, request] { dispatch(ui::ev::RegistrationFailed{request}); });
            }
            core::wipe(details);
        });
}

void KioskApp::check_idle() {
    const auto limit = flow_.idle_limit(std::chrono::seconds(config_.display.idle_timeout_seconds));
    if (!limit || pointer_.down()) return;
    if (Clock::now() - last_input_ < *limit) return;
    spdlog::info("idle for {} s on {}: back to welcome, patient state cleared", limit->count() / 1000,
                 ui::screen_name(flow_.screen()));
    dispatch(ui::ev::IdleTimeout{});
    memory_ = ui::ScreenMemory{};
    scanner_.reset();
}

int KioskApp::wait_timeout_ms() const {
    // During a scan: wait for its next character, or until its gap has passed (no frame meanwhile).
    if (const auto left = scanner_.burst_ms_left(static_cast<std::int64_t>(SDL_GetTicks())); left > 0)
        return static_cast<int>(step_ < options_.script.size() ? std::min<std::int64_t>(left, 2) : left);
    if (frames_pending_ > 0 || pointer_.settling()) return 0;
    if (step_ < options_.script.size()) return 5;
    // Wake for the clock on screen (next minute) and for the idle timeout; otherwise sleep.
    const auto now_ms = clock_.now();
    long long next = 60'000 - now_ms % 60'000 + 20;
    if (const auto limit = flow_.idle_limit(std::chrono::seconds(config_.display.idle_timeout_seconds))) {
        const auto left = std::chrono::duration_cast<Ms>(last_input_ + *limit - Clock::now()).count();
        next = std::min<long long>(next, std::max<long long>(left + 5, 1));
    }
    return static_cast<int>(std::clamp<long long>(next, 1, 60'000));
}

void KioskApp::frame() {
    const auto frame_start = Clock::now();
    ImGui_ImplSDLRenderer_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    ImGuiIO& io = ImGui::GetIO();
    pointer_.apply(io);

    const auto t0 = Clock::now();
    ImGui::NewFrame();
    ui::UiContext ctx{flow_,    catalogs_, site_,         fonts_.fonts(),
                      targets_, memory_,   connectivity_, clock_.now()};
    const std::optional<ui::Event> event = ui::draw_screen(ctx, io.DisplaySize);
    ImGui::Render();
    last_frame_cpu_ms_ = ms_between(t0, Clock::now());

    SDL_SetRenderDrawColor(renderer_, 247, 250, 252, 255);
    SDL_RenderClear(renderer_);
    render_draw_data(renderer_, ImGui::GetDrawData()); // sdl_draw.hpp: cheaper on the software renderer
    if (screenshot_request_) {
        if (const auto failed = save_png(renderer_, *screenshot_request_))
            script_fail(*failed);
        else
            spdlog::info("screenshot written to {}", screenshot_request_->string());
        screenshot_request_.reset();
    }
    SDL_RenderPresent(renderer_);
    last_frame_ms_ = ms_between(frame_start, Clock::now());
    if (slow_frame_ms_ > 0) std::this_thread::sleep_for(Ms(slow_frame_ms_)); // script: slow-frames

    if (!ready_announced_) {
        ready_announced_ = true;
        const double ms = ms_between(options_.process_start, Clock::now());
        spdlog::info("ready: first interactive frame {:.1f} ms after start", ms);
        if (options_.announce_ready) {
            std::printf("KIOSK_READY %.3f\n", ms);
            std::fflush(stdout);
        }
    }
    if (event) dispatch(*event);
}

void KioskApp::script_fail(const std::string& message) {
    const auto& st = options_.script[step_];
    spdlog::error("script step {} (line {}) failed: {}", step_ + 1, st.line, message);
    std::fprintf(stderr, "kiosk: script line %d: %s\n", st.line, message.c_str());
    exit_code_ = 4;
    running_ = false;
}

void KioskApp::script_tick() {
    if (step_ >= options_.script.size()) return;
    const ScriptStep& st = options_.script[step_];
    const auto since = Clock::now() - step_started_;
    auto next = [&] {
        ++step_;
        step_phase_ = 0;
        step_started_ = Clock::now();
        frames_pending_ = std::max(frames_pending_, 1);
    };
    // Each phase runs after at least one rendered frame, so ImGui sees press and release separately.
    switch (st.kind) {
    case ScriptStep::Kind::Tap:
    case ScriptStep::Kind::TapAt:
    case ScriptStep::Kind::Drag: {
        // The target is looked up once, at the press: a drag moves it away from under the finger.
        std::optional<ImVec2> at = drag_origin_;
        if (step_phase_ == 0)
            at = st.kind == ScriptStep::Kind::TapAt ? std::optional<ImVec2>(ImVec2(st.x, st.y))
                                                    : targets_.center(st.arg);
        if (!at) {
            if (since > std::chrono::seconds(5)) {
                std::string known;
                for (const auto& id : targets_.ids())
                    known += " " + id;
                script_fail("no tap target '" + st.arg + "' on screen " + ui::screen_name(flow_.screen()) +
                            " (targets:" + known + ")");
            }
            return;
        }
        const int moves = st.kind == ScriptStep::Kind::Drag ? 8 : 0;
        if (step_phase_ == 0 && st.kind != ScriptStep::Kind::TapAt) {
            // A finger cannot reach what is drawn outside the screen.
            if (auto why =
                    targets_.misfit(st.arg, ImGui::GetIO().DisplaySize, ui::TapTargets::Check::Position)) {
                script_fail("tap target '" + st.arg + "' on screen " + ui::screen_name(flow_.screen()) +
                            " is off screen: " + *why);
                return;
            }
        }
        if (step_phase_ == 0) {
            inject_motion(*at);
            inject_button(SDL_MOUSEBUTTONDOWN, *at);
            drag_origin_ = at;
        } else if (step_phase_ <= moves) {
            inject_motion(ImVec2(at->x, at->y + static_cast<float>(st.count * step_phase_) / 8.0f));
        } else {
            inject_button(SDL_MOUSEBUTTONUP,
                          ImVec2(at->x, at->y + (moves ? static_cast<float>(st.count) : 0.0f)));
            drag_origin_.reset();
            next();
            return;
        }
        ++step_phase_;
        frames_pending_ = std::max(frames_pending_, 1);
        return;
    }
    case ScriptStep::Kind::Visible:
    case ScriptStep::Kind::Fits: {
        if (frames_pending_ > 0) return; // check what the screen shows once it has settled
        const ImVec2 display = ImGui::GetIO().DisplaySize;
        std::string problems;
        if (st.kind == ScriptStep::Kind::Visible) {
            const ui::TapTarget* t = targets_.find(st.arg);
            if (!t) {
                if (since <= std::chrono::seconds(5)) return;
                problems = " " + st.arg + " (not drawn on this screen)";
            } else if (auto why = targets_.misfit(st.arg, display, ui::TapTargets::Check::Position)) {
                problems = " " + st.arg + " (" + *why + ")";
            } else if (t->min.y < t->clip_min.y - 0.5f || t->max.y > t->clip_max.y + 0.5f ||
                       t->min.x < t->clip_min.x - 0.5f || t->max.x > t->clip_max.x + 0.5f) {
                problems = " " + st.arg + " (partly scrolled out of its list)";
            }
        } else {
            for (const auto& id : targets_.ids())
                if (auto why = targets_.misfit(id, display)) problems += " " + id + " (" + *why + ");";
        }
        if (!problems.empty()) {
            script_fail(std::string("on screen ") + ui::screen_name(flow_.screen()) + " at " +
                        std::to_string(static_cast<int>(display.x)) + "x" +
                        std::to_string(static_cast<int>(display.y)) + ", font " +
                        std::to_string(static_cast<int>(fonts_.fonts().em)) +
                        " px, not on screen:" + problems);
            return;
        }
        next();
        return;
    }
    case ScriptStep::Kind::Wait:
        if (st.arg == ui::screen_name(flow_.screen()) && frames_pending_ == 0)
            next();
        else if (since > std::chrono::seconds(10))
            script_fail(std::string("still on screen ") + ui::screen_name(flow_.screen()) + ", expected " +
                        st.arg);
        return;
    case ScriptStep::Kind::WaitSync:
        // Only a status taken after the newest record was stored counts (an older one says 0 waiting too).
        if (connectivity_.known && connectivity_.online && connectivity_.waiting == 0 &&
            sync_kicks_seen_ >= sync_kicks_sent_)
            next();
        else if (since > std::chrono::seconds(30))
            script_fail("the HIS has not acknowledged every record (" +
                        std::to_string(connectivity_.waiting) + " waiting, " +
                        (connectivity_.online ? "online" : "offline") + ")");
        return;
    case ScriptStep::Kind::WaitFile: {
        std::error_code ec;
        if (std::filesystem::exists(st.arg, ec))
            next();
        else if (since > std::chrono::seconds(120))
            script_fail("file " + st.arg + " did not appear within 120 s");
        return;
    }
    case ScriptStep::Kind::Sleep:
        if (since >= Ms(st.count)) next();
        return;
    case ScriptStep::Kind::Screenshot:
        if (step_phase_ == 0) {
            screenshot_request_ = st.arg;
            frames_pending_ = std::max(frames_pending_, 1);
            step_phase_ = 1;
        } else if (!screenshot_request_) {
            next();
        }
        return;
    case ScriptStep::Kind::Measure:
        if (measured_.empty()) measure_first_at_ = Clock::now();
        measured_.push_back({last_frame_cpu_ms_, last_frame_ms_});
        if (static_cast<int>(measured_.size()) < st.count + 1) {
            frames_pending_ = std::max(frames_pending_, 1);
            return;
        }
        {
            measured_.erase(measured_.begin()); // the first sample predates the step
            const double wall = ms_between(measure_first_at_, Clock::now()) / st.count;
            std::printf(
                "%s\n",
                measure_line("KIOSK_MEASURE", ui::screen_name(flow_.screen()), measured_, wall).c_str());
            std::fflush(stdout);
            measured_.clear();
        }
        next();
        return;
    case ScriptStep::Kind::SlowFrames:
        slow_frame_ms_ = st.count;
        next();
        return;
    case ScriptStep::Kind::Keys:
        inject_keys(st);
        return;
    case ScriptStep::Kind::Quit:
        running_ = false;
        return;
    }
}

// A keyboard-wedge scanner or a person typing, then Enter; through SDL's event queue like the real device.
// The scanner has a clock of its own, as the USB device does: one character every kScannerMsPerChar, and
// what fell due while the loop was busy (a slow frame) arrives at once, as keys queued in the X server do.
// A person (keys <gap-ms>) types one key every gap ms, one key per loop turn at most.
void KioskApp::inject_keys(const ScriptStep& st) {
    constexpr long long kScannerMsPerChar = 4;
    const bool person = st.count > 0;
    const long long ms_per_char = person ? st.count : kScannerMsPerChar;
    const auto since = std::chrono::duration_cast<Ms>(Clock::now() - step_started_).count();
    auto pos = static_cast<std::size_t>(step_phase_);
    frames_pending_ = std::max(frames_pending_, 1);
    const auto window = SDL_GetWindowID(window_);
    if (pos >= st.arg.size()) {
        if (since < ms_per_char * step_phase_characters_) return; // Enter comes one character time later
        if (!st.enter) {
            ++step_;
            step_phase_ = 0;
            step_phase_characters_ = 0;
            step_started_ = Clock::now();
            return;
        }
        SDL_Event e{};
        e.type = SDL_KEYDOWN;
        e.key.windowID = window;
        e.key.state = SDL_PRESSED;
        e.key.keysym.sym = SDLK_RETURN;
        e.key.keysym.scancode = SDL_SCANCODE_RETURN;
        SDL_PushEvent(&e);
        e.type = SDL_KEYUP;
        e.key.state = SDL_RELEASED;
        SDL_PushEvent(&e);
        ++step_;
        step_phase_ = 0;
        step_phase_characters_ = 0;
        step_started_ = Clock::now();
        return;
    }
    const long long due = person ? std::min<long long>(since / ms_per_char + 1, step_phase_characters_ + 1)
                                 : since / ms_per_char + 1; // characters typed by now, the first at once
    while (pos < st.arg.size() && step_phase_characters_ < due) {
        SDL_Event e{};
        e.type = SDL_TEXTINPUT;
        e.text.windowID = window;
        std::size_t n = 0;
        // A few characters per event, as SDL delivers a fast device (never a character split).
        for (int chars = 0; pos + n < st.arg.size() && chars < 4 && step_phase_characters_ < due; ++chars) {
            std::size_t len = 1;
            const auto c = static_cast<unsigned char>(st.arg[pos + n]);
            if (c >= 0xF0)
                len = 4;
            else if (c >= 0xE0)
                len = 3;
            else if (c >= 0xC0)
                len = 2;
            if (n + len >= sizeof e.text.text) break;
            n += len;
            ++step_phase_characters_;
        }
        std::memcpy(e.text.text, st.arg.data() + pos, n);
        SDL_PushEvent(&e);
        pos += n;
    }
    step_phase_ = static_cast<int>(pos);
}

int KioskApp::run() {
    // The database opens on the worker thread while the window and fonts come up.
    main_queue_ = std::make_unique<MainQueue>([this] {
        SDL_Event e{};
        e.type = wake_event_;
        SDL_PushEvent(&e);
    });
    worker_ = std::make_unique<Worker>();
    std::promise<void> opened;
    auto open_result = opened.get_future();
    worker_->post([this, &opened] {
        try {
            store_ = std::make_unique<Store>(store::Database::open(config_.storage.data_dir / "kiosk.db"));
            opened.set_value();
        } catch (...) {
            opened.set_exception(std::current_exception());
        }
    });
    const auto t_start = Clock::now();
    try {
        catalogs_ = ui::Catalogs::load(options_.assets_dir);
    } catch (const ui::CatalogError& e) {
        throw StartupError(e.what());
    }
    const auto t_catalogs = Clock::now();
    init_sdl();
    // The font atlas (the slowest step) is built on its own thread while the window and renderer come up.
    const Options::Size size = expected_size();
    const float em = ui::base_font_px(size.w, size.h, config_.display.ui_scale);
    auto fonts_built = std::async(std::launch::async, [this, em] { build_fonts(em); });
    try {
        create_window(size);
    } catch (...) {
        fonts_built.wait();
        throw;
    }
    const auto t_window = Clock::now();
    fonts_built.get();
    init_imgui(em);
    const auto t_fonts = Clock::now();
    try {
        open_result.get();
    } catch (const store::StoreError& e) {
        throw StartupError(e.what());
    }
    const auto t_db = Clock::now();
    if (store_->db.checked_after_unclean_shutdown())
        spdlog::warn("database {}: the kiosk did not shut down cleanly last time (power cut, crash or kill); "
                     "the full integrity check passed",
                     (config_.storage.data_dir / "kiosk.db").string());
    spdlog::info("database {} ready", (config_.storage.data_dir / "kiosk.db").string());
    start_sync();
    start_lookup();
    SDL_StartTextInput(); // the barcode scanner types as a keyboard; no text box has the focus
    spdlog::debug(
        "start-up: before run {:.1f} ms, catalogs {:.1f} ms, window {:.1f} ms, then fonts {:.1f} ms, "
        "waiting for the database {:.1f} ms",
        ms_between(options_.process_start, t_start), ms_between(t_start, t_catalogs),
        ms_between(t_catalogs, t_window), ms_between(t_window, t_fonts), ms_between(t_fonts, t_db));

    while (running_) {
        SDL_Event e;
        if (SDL_WaitEventTimeout(&e, wait_timeout_ms())) {
            handle_event(e);
            while (SDL_PollEvent(&e))
                handle_event(e);
        }
        if (main_queue_->drain() > 0) frames_pending_ = std::max(frames_pending_, 3);
        check_idle();
        const auto now_ticks = static_cast<std::int64_t>(SDL_GetTicks());
        if (scanner_.take_unreadable(now_ticks)) {
            spdlog::warn("a scan arrived on {} but was cut short or had no Enter at its end; if this "
                         "repeats, check that the scanner sends a CR suffix and UTF-8",
                         ui::screen_name(flow_.screen()));
            dispatch(ui::ev::ScanUnreadable{});
        }
        // While a scan is arriving the loop only listens: the time a frame takes would look like a pause
        // between two characters and cut the scan. The frame follows once the burst ends (at most 60 ms).
        if (!scanner_.in_burst(now_ticks) && (frames_pending_ > 0 || pointer_.settling())) {
            frame();
            if (frames_pending_ > 0) --frames_pending_;
        }
        script_tick();
    }
    return exit_code_;
}

} // namespace

void prepare_data_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw StartupError("cannot create data dir " + dir.string() + ": " + ec.message());
    // A probe written with POSIX calls, so errno tells a full disk from a permission problem (no fsync:
    // start-up stays quick, and SQLite's own writes name a disk that fills later).
    const auto probe = dir / ".write-test";
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        if (::write(fd, "ok", 2) != 2) err = errno != 0 ? errno : ENOSPC; // short: no room for the 2nd byte
        ::close(fd);
    }
    std::filesystem::remove(probe, ec);
    if (store::is_disk_full_errno(err))
        throw StartupError("data dir " + dir.string() +
                           " cannot be written: " + store::disk_full_message(dir, err));
    if (err != 0)
        throw StartupError("data dir " + dir.string() + " is not writable (" +
                           std::generic_category().message(err) +
                           "; fix its permissions or set data_dir in the site config)");
}

int run_kiosk(const SiteConfig& config, const Options& options) {
    prepare_data_dir(config.storage.data_dir);
    try {
        ui::check_font_file(config.display.font_regular);
        ui::check_font_file(config.display.font_bold);
    } catch (const ui::FontError& e) {
        throw StartupError(e.what());
    }
    KioskApp app(config, options);
    return app.run();
}

} // namespace kiosk::app
