#pragma once
// Dear ImGui's draw data on an SDL_Renderer: imgui_impl_sdlrenderer's RenderDrawData (ImGui 1.86, MIT),
// with one change for SDL's software renderer, where the kiosk spends its frame time.
//
// Every ImGui shape is a textured triangle list (solid shapes sample the font atlas's white pixel). SDL
// 2.26's software renderer turns pairs of triangles that form an axis-aligned, one-colour rectangle into
// rectangle fills and copies, and draws every other triangle with SDL_SW_BlitTriangle: it walks the
// triangle's whole bounding box, sampling and blending the texture for each pixel inside. A filled rounded
// rectangle is a fan of ~50 thin triangles from one corner, each with a bounding box of up to the whole
// shape: the kiosk's large rounded buttons cost ~50 times their area per frame.
//
// So on the software renderer the opaque one-colour solid triangles (the insides of filled shapes) are
// rasterised here into horizontal spans with SDL's own coverage rule (SDL_triangle.c: vertices truncated
// to whole pixels, samples at pixel centres, top-left rule), merged per row, and filled with
// SDL_RenderFillRects without blending; opaque solid rectangles are filled without blending too. Those
// pixels come out exactly as SDL draws them. Everything else (text, the anti-aliased fringes,
// translucent shapes) goes to SDL_RenderGeometryRaw as before, in the same order, cut only where SDL's
// own pairing of triangles into rectangles would be cut, so it pairs them the same way. Other renderers
// (OpenGL, ...) get the stock backend's calls.
#include <SDL.h>
#include <imgui.h>

#include <vector>

namespace kiosk::app {

// Draws `draw_data` (ImGui::GetDrawData()) with `renderer`, as ImGui_ImplSDLRenderer_RenderDrawData.
// The backend's Init/NewFrame/Shutdown stay as they are (they own the font texture).
void render_draw_data(SDL_Renderer* renderer, ImDrawData* draw_data);

namespace sdl_draw {

// How one draw command's triangles are drawn, in order.
struct Piece {
    enum class Kind {
        Sdl,             // indices [first, first + count) through SDL_RenderGeometryRaw with the texture
        OpaqueRect,      // `rect` filled with `color`, no blending (SDL would blend it at alpha 255)
        OpaqueTriangles, // indices [first, first + count): one-colour opaque solid triangles, as spans
    };
    Kind kind = Kind::Sdl;
    int first = 0; // index of the piece's first index in the command
    int count = 0; // indices (a multiple of 3)
    SDL_FRect rect{};
    SDL_Color color{};
};

// The pieces of a command whose triangles are `indices[0..index_count)` into `vertices`. A triangle is
// solid when all its vertices have the UV `white_uv` (ImFontAtlas::TexUvWhitePixel).
std::vector<Piece> plan(const ImDrawVert* vertices, const ImDrawIdx* indices, int index_count,
                        ImVec2 white_uv);

// Pixels x0 <= x < x1 on row y.
struct Span {
    int y = 0, x0 = 0, x1 = 0;
    friend bool operator==(const Span&, const Span&) = default;
};

// The pixels SDL 2.26's software renderer covers for the triangle (a, b, c), within `clip`, appended.
void triangle_spans(ImVec2 a, ImVec2 b, ImVec2 c, const SDL_Rect& clip, std::vector<Span>& out);

// Sorts by row and x, and joins spans of a row that touch or overlap.
void merge_spans(std::vector<Span>& spans);

} // namespace sdl_draw
} // namespace kiosk::app
