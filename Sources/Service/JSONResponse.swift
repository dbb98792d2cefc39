import Foundation
import Hummingbird

/// JSON bodies built with JSONSerialization (rows are heterogeneous), and the API's error shape
/// `{"error": "..."}`.
enum JSONResponse {
    static func make(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        make(["error": message, "status": status.code], status: status)
    }
}

/// Turns every error of a route (unknown route, bad parameter, state file not readable) into a
/// JSON error response: never an empty 500, never a crash.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as BadRequest {
            return JSONResponse.error(.badRequest, error.message)
        } catch let error as HTTPError {
            return JSONResponse.error(error.status, error.body ?? (error.status == .notFound ? "no such route: \(request.uri.path)" : "\(error.status)"))
        } catch {
            context.logger.error("request \(request.uri.path) failed: \(error)")
            return JSONResponse.error(.serviceUnavailable, "\(error)")
        }
    }
}

/// With a token configured, `/` and `/api/...` need `Authorization: Bearer <token>` (the page
/// `/` also takes `?token=`); the probes and `/metrics` stay open. The token is compared in constant time and never logged.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    static var openPaths: Set<String> { ["/livez", "/readyz", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        // A browser cannot send a header when it opens the dashboard: `/?token=...` also works
        // for the page itself (its script then sends the bearer header to the API).
        var header = request.headers[.authorization] ?? ""
        if request.uri.path == "/", header.isEmpty, let token = request.uri.queryParameters.get("token") { header = "Bearer \(token)" }
        let given = Array(header.utf8)
        let expected = Array("Bearer ".utf8) + token
        var difference = given.count ^ expected.count
        for i in 0..<expected.count { difference |= Int((i < given.count ? given[i] : 0) ^ expected[i]) }
        guard difference == 0 else {
            var response = JSONResponse.error(.unauthorized, "missing or wrong bearer token (Authorization: Bearer <token>)")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }
}
