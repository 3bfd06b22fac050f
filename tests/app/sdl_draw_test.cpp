// The kiosk's ImGui renderer (kiosk/app/sdl_draw.hpp): which triangles it takes from SDL's geometry path,
// and that SDL's software renderer then draws exactly the pixels it drew before.
#include "kiosk/app/sdl_draw.hpp"

#include <SDL.h>
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_impl_sdlrenderer.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

using kiosk::app::render_draw_data;
using kiosk::app::sdl_draw::merge_spans;
using kiosk::app::sdl_draw::Piece;
using kiosk::app::sdl_draw::plan;
using kiosk::app::sdl_draw::Span;
using kiosk::app::sdl_draw::triangle_spans;

const ImVec2 kWhite(0.25f, 0.75f); // the atlas's white pixel, for the hand-made lists

ImDrawVert vert(float x, float y, ImU32 col, ImVec2 uv = kWhite) {
    ImDrawVert v;
    v.pos = ImVec2(x, y);
    v.uv = uv;
    v.col = col;
    return v;
}

TEST(SdlDrawPlan, SplitsOpaqueSolidTrianglesAndRectsFromTheRest) {
    const ImU32 red = IM_COL32(200, 20, 20, 255), blue = IM_COL32(20, 20, 200, 255);
    const ImU32 clear = IM_COL32(200, 20, 20, 0), half = IM_COL32(0, 0, 0, 128), white = IM_COL32_WHITE;
    std::vector<ImDrawVert> v = {
        // 0-4: a pentagon, filled as ImGui fills convex shapes: a fan from vertex 0
        vert(10, 10, red), vert(50, 5, red), vert(90, 10, red), vert(80, 60, red), vert(20, 60, red),
        // 5-8: an axis-aligned solid rectangle (ImGui's PrimRect)
        vert(100, 10, blue), vert(140, 10, blue), vert(140, 50, blue), vert(100, 50, blue),
        // 9-12: a glyph: a textured rectangle
        vert(150, 10, white, ImVec2(0.1f, 0.1f)), vert(160, 10, white, ImVec2(0.2f, 0.1f)),
        vert(160, 30, white, ImVec2(0.2f, 0.3f)), vert(150, 30, white, ImVec2(0.1f, 0.3f)),
        // 13-16: an anti-aliased fringe: opaque inside, transparent outside
        vert(10, 60, red), vert(90, 60, red), vert(90, 61, clear), vert(10, 61, clear),
        // 17-19: a translucent solid triangle
        vert(0, 0, half), vert(30, 0, half), vert(0, 30, half),
        // 20-22: another opaque red triangle, after the others
        vert(200, 0, red), vert(230, 0, red), vert(200, 30, red)};
    const std::vector<ImDrawIdx> idx = {0,  1, 2,  0,  2,  3,  0,  3,  4,  5,  6,  7,  5,  7,  8,  9, 10,
                                        11, 9, 11, 12, 13, 14, 15, 13, 15, 16, 17, 18, 19, 20, 21, 22};
    const auto pieces = plan(v.data(), idx.data(), static_cast<int>(idx.size()), kWhite);
    ASSERT_EQ(pieces.size(), 4u);
    EXPECT_EQ(pieces[0].kind, Piece::Kind::OpaqueTriangles);
    EXPECT_EQ(pieces[0].first, 0);
    EXPECT_EQ(pieces[0].count, 9); // the whole fan in one piece
    EXPECT_EQ(pieces[0].color.r, 200);
    EXPECT_EQ(pieces[1].kind, Piece::Kind::OpaqueRect);
    EXPECT_EQ(pieces[1].first, 9);
    EXPECT_EQ(pieces[1].count, 6);
    EXPECT_EQ(pieces[1].rect.x, 100.0f);
    EXPECT_EQ(pieces[1].rect.y, 10.0f);
    EXPECT_EQ(pieces[1].rect.w, 40.0f);
    EXPECT_EQ(pieces[1].rect.h, 40.0f);
    EXPECT_EQ(pieces[1].color.b, 200);
    // Glyph, fringe and translucent triangle stay with SDL, as one contiguous call.
    EXPECT_EQ(pieces[2].kind, Piece::Kind::Sdl);
    EXPECT_EQ(pieces[2].first, 15);
    EXPECT_EQ(pieces[2].count, 15);
    EXPECT_EQ(pieces[3].kind, Piece::Kind::OpaqueTriangles);
    EXPECT_EQ(pieces[3].first, 30);
    EXPECT_EQ(pieces[3].count, 3);
}

TEST(SdlDrawPlan, ARunOfTwoColoursIsTwoPieces) {
    const ImU32 a = IM_COL32(1, 2, 3, 255), b = IM_COL32(3, 2, 1, 255);
    std::vector<ImDrawVert> v = {vert(0, 0, a),  vert(10, 1, a), vert(3, 9, a),
                                 vert(20, 0, b), vert(30, 1, b), vert(23, 9, b)};
    const std::vector<ImDrawIdx> idx = {0, 1, 2, 3, 4, 5};
    const auto pieces = plan(v.data(), idx.data(), 6, kWhite);
    ASSERT_EQ(pieces.size(), 2u);
    EXPECT_EQ(pieces[0].kind, Piece::Kind::OpaqueTriangles);
    EXPECT_EQ(pieces[1].kind, Piece::Kind::OpaqueTriangles);
    EXPECT_EQ(pieces[1].color.r, 3);
}

TEST(SdlDrawSpans, MergeJoinsTouchingSpansOfARow) {
    std::vector<Span> s = {{1, 5, 9}, {0, 0, 3}, {1, 0, 5}, {1, 12, 14}, {0, 2, 4}};
    merge_spans(s);
    const std::vector<Span> want = {{0, 0, 4}, {1, 0, 9}, {1, 12, 14}};
    EXPECT_EQ(s, want);
}

// An SDL software renderer on a surface of its own: no video driver needed.
class SoftwareRenderer : public ::testing::Test {
protected:
    static constexpr int kW = 320, kH = 240;
    void SetUp() override {
        surface_ = SDL_CreateRGBSurfaceWithFormat(0, kW, kH, 32, SDL_PIXELFORMAT_RGB888);
        ASSERT_NE(surface_, nullptr) << SDL_GetError();
        renderer_ = SDL_CreateSoftwareRenderer(surface_);
        ASSERT_NE(renderer_, nullptr) << SDL_GetError();
    }
    void TearDown() override {
        if (renderer_) SDL_DestroyRenderer(renderer_);
        if (surface_) SDL_FreeSurface(surface_);
    }
    void clear() {
        SDL_SetRenderDrawBlendMode(renderer_, SDL_BLENDMODE_NONE);
        SDL_SetRenderDrawColor(renderer_, 247, 250, 252, 255);
        SDL_RenderClear(renderer_);
    }
    // The surface's RGB, after the queued commands ran.
    std::vector<std::uint32_t> pixels() {
        SDL_RenderFlush(renderer_);
        std::vector<std::uint32_t> out;
        for (int y = 0; y < kH; ++y) {
            const auto* row = reinterpret_cast<const std::uint32_t*>(
                static_cast<const std::uint8_t*>(surface_->pixels) + y * surface_->pitch);
            for (int x = 0; x < kW; ++x)
                out.push_back(row[x] & 0x00FFFFFFu);
        }
        return out;
    }
    static int differing(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
        int n = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            n += a[i] != b[i];
        return n;
    }
    SDL_Surface* surface_ = nullptr;
    SDL_Renderer* renderer_ = nullptr;
};

TEST_F(SoftwareRenderer, TriangleSpansCoverWhatSdlFills) {
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> coord(-40.0f, 360.0f);
    const SDL_Rect clips[] = {{0, 0, kW, kH}, {37, 21, 150, 101}};
    for (int t = 0; t < 400; ++t) {
        const ImVec2 a(coord(rng), coord(rng)), b(coord(rng), coord(rng));
        ImVec2 c(coord(rng), coord(rng));
        if (t % 5 == 0) c = ImVec2(a.x + 0.4f, b.y); // thin and axis-aligned edges
        const SDL_Rect& clip = clips[t % 2];
        SDL_RenderSetClipRect(renderer_, &clip);
        // SDL: an untextured opaque triangle (the same rasteriser as the textured one).
        clear();
        SDL_RenderSetClipRect(renderer_, &clip);
        SDL_SetRenderDrawBlendMode(renderer_, SDL_BLENDMODE_NONE);
        const SDL_Color col{200, 30, 90, 255};
        const SDL_Vertex tri[3] = {
            {{a.x, a.y}, col, {0, 0}}, {{b.x, b.y}, col, {0, 0}}, {{c.x, c.y}, col, {0, 0}}};
        SDL_RenderGeometry(renderer_, nullptr, tri, 3, nullptr, 0);
        const auto want = pixels();
        // Spans, as rectangles.
        clear();
        SDL_RenderSetClipRect(renderer_, &clip);
        std::vector<Span> spans;
        triangle_spans(a, b, c, clip, spans);
        SDL_SetRenderDrawColor(renderer_, col.r, col.g, col.b, col.a);
        for (const Span& s : spans) {
            const SDL_Rect r{s.x0, s.y, s.x1 - s.x0, 1};
            SDL_RenderFillRect(renderer_, &r);
        }
        ASSERT_EQ(differing(want, pixels()), 0) << "triangle " << t << ": (" << a.x << "," << a.y << ") ("
                                                << b.x << "," << b.y << ") (" << c.x << "," << c.y << ")";
        SDL_RenderSetClipRect(renderer_, nullptr);
    }
}

// A frame of large rounded buttons, a circle, outlines, scaled text, a translucent overlay and a shape
// partly off screen: the stock backend and render_draw_data give the same pixels.
TEST_F(SoftwareRenderer, DrawsAnImGuiFrameExactlyAsTheStockBackend) {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(kW, kH);
    io.DeltaTime = 1.0f / 60.0f;
    io.Fonts->AddFontDefault();
    ASSERT_TRUE(ImGui_ImplSDLRenderer_Init(renderer_));
    ImGui_ImplSDLRenderer_NewFrame(); // creates the font texture
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("root", nullptr, ImGuiWindowFlags_NoDecoration);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(ImVec2(10, 10), ImVec2(300, 80), IM_COL32(30, 90, 160, 255), 18.0f);
    dl->AddRect(ImVec2(12.5f, 12.5f), ImVec2(297.5f, 77.5f), IM_COL32(250, 250, 250, 255), 16.0f, 0, 2.0f);
    dl->AddRectFilled(ImVec2(20.3f, 90.7f), ImVec2(140.6f, 160.2f), IM_COL32(220, 230, 240, 255), 9.5f);
    dl->AddCircleFilled(ImVec2(220, 130), 33.0f, IM_COL32(0, 160, 90, 255));
    dl->AddRectFilled(ImVec2(-30, 170), ImVec2(90, 260), IM_COL32(120, 40, 40, 255), 20.0f);
    dl->AddRectFilled(ImVec2(100, 180), ImVec2(200, 230), IM_COL32(0, 0, 0, 255));
    dl->AddRectFilled(ImVec2(150, 60), ImVec2(260, 200), IM_COL32(255, 200, 0, 100), 12.0f);
    dl->AddTriangleFilled(ImVec2(230, 170), ImVec2(310, 180), ImVec2(260, 235), IM_COL32(90, 20, 140, 255));
    ImGui::SetCursorPos(ImVec2(30, 25));
    ImGui::SetWindowFontScale(2.5f);
    ImGui::TextUnformatted("Lay so thu tu 123");
    ImGui::SetWindowFontScale(1.0f);
    ImGui::SetCursorPos(ImVec2(30, 100));
    ImGui::Button("OK", ImVec2(90, 40));
    ImGui::End();
    ImGui::Render();

    clear();
    ImGui_ImplSDLRenderer_RenderDrawData(ImGui::GetDrawData());
    const auto stock = pixels();
    clear();
    render_draw_data(renderer_, ImGui::GetDrawData());
    const auto ours = pixels();
    EXPECT_EQ(differing(stock, ours), 0);

    // It did take the insides of the shapes out of SDL's geometry path (else this proves nothing).
    int opaque_pieces = 0;
    const ImDrawData* data = ImGui::GetDrawData();
    for (int n = 0; n < data->CmdListsCount; ++n)
        for (const ImDrawList* list = data->CmdLists[n]; const ImDrawCmd& cmd : list->CmdBuffer)
            for (const Piece& p :
                 plan(list->VtxBuffer.Data + cmd.VtxOffset, list->IdxBuffer.Data + cmd.IdxOffset,
                      static_cast<int>(cmd.ElemCount), io.Fonts->TexUvWhitePixel))
                opaque_pieces += p.kind == Piece::Kind::OpaqueTriangles;
    EXPECT_GE(opaque_pieces, 5);

    ImGui_ImplSDLRenderer_Shutdown();
    ImGui::DestroyContext();
}

} // namespace
