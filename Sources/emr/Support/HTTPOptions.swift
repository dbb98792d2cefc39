import ArgumentParser
import Foundation
import Logging
import Service
import ServiceLifecycle

/// `--http HOST:PORT` (or `EMR_HTTP`) and `--http-token-file`, shared by `consume` and `serve`.
struct HTTPOptions: ParsableArguments {
    @Option(name: .customLong("http"), help: ArgumentHelp("Serve health, readiness, metrics and the marts API on this address (default $EMR_HTTP; off when unset). Binds 127.0.0.1 unless told otherwise.", valueName: "host:port"))
    var givenHTTP: String?

    /// `--http`, else `EMR_HTTP` when set and not empty.
    var http: String? { givenHTTP ?? ProcessInfo.processInfo.environment["EMR_HTTP"].flatMap { $0.isEmpty ? nil : $0 } }

    @Option(name: .long, help: ArgumentHelp("When set, / and /api/* require 'Authorization: Bearer <token>' with the token in this file; /livez, /readyz and /metrics stay open.", valueName: "file"))
    var httpTokenFile: String?

    func validate() throws {
        if let http, HTTPAddress(http) == nil {
            throw ValidationError("--http must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8080 (got '\(http)')")
        }
        try OptionChecks.nonEmpty(httpTokenFile, "--http-token-file")
    }

    var address: HTTPAddress? { http.flatMap(HTTPAddress.init) }

    /// The token (trimmed), read once at start; never logged.
    func token() throws -> String? {
        guard let httpTokenFile else { return nil }
        let text = try String(contentsOfFile: httpTokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw RuntimeFailure("\(httpTokenFile): the token file is empty") }
        return text
    }
}

/// Runs services under swift-service-lifecycle: SIGTERM and SIGINT start a graceful shutdown
/// (services stop in reverse order: the consume loop commits its batch before HTTP stops).
enum ServiceRunner {
    static func run(_ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        try await ServiceGroup(configuration: configuration).run()
    }
}
