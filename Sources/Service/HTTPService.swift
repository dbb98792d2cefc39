import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Where the HTTP server listens: `HOST:PORT` (`[::1]:8080` for IPv6).
public struct HTTPAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; nil when it is not one.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The HTTP server as a lifecycle service: the routes of ``APIRoutes`` behind JSON errors and
/// an optional bearer token. `run` fails at once, naming the address, when it cannot listen.
public struct HTTPService: Service {
    public let address: HTTPAddress
    let application: Application<RouterResponder<BasicRequestContext>>

    /// `onListening` receives the bound port (useful with port 0).
    public init(address: HTTPAddress, routes: APIRoutes, token: String?, logger: Logger,
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.address = address
        let router = Router()
        router.add(middleware: JSONErrorMiddleware<BasicRequestContext>())
        if let token { router.add(middleware: BearerTokenMiddleware<BasicRequestContext>(token: Array(token.utf8))) }
        routes.add(to: router)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .notice)
        application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: "emr"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                logger.notice("HTTP: serving on http://\(HTTPAddress(host: address.host, port: port)) (/livez /readyz /metrics /api/v1/...)")
                await onListening(port)
            },
            logger: quiet)
    }

    public func run() async throws {
        do {
            try await application.run()
        } catch {
            throw HTTPServiceError(message: "cannot serve HTTP on \(address): \(Self.describe(error))")
        }
    }

    static func describe(_ error: Error) -> String {
        let text = "\(error)"
        if text.contains("Address already in use") || text.contains("EADDRINUSE") { return "address already in use" }
        if text.contains("Cannot assign requested address") || text.contains("EADDRNOTAVAIL") { return "no such local address" }
        if text.contains("Permission denied") || text.contains("EACCES") { return "permission denied (ports below 1024 need privileges)" }
        return text
    }
}

/// The HTTP server could not start or stopped on an error.
public struct HTTPServiceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
