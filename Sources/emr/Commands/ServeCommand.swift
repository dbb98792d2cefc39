import ArgumentParser
import Foundation
import Service
import Marts
import State

/// `emr serve`: the read-only HTTP API over an existing state file, without consuming.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the read-only marts API and probes over an existing state file (no consuming).",
        discussion: """
            For a snapshot, or beside a consumer in another process (every request reads its own \
            WAL snapshot, so it never blocks the consumer). Same routes as `emr consume --http`; \
            /readyz answers 200 once serving. SIGTERM/SIGINT stop it (exit 0).

            Examples:
              emr serve --state state.sqlite --http 127.0.0.1:8080
              curl -s localhost:8080/api/v1/marts | jq .
              curl -s 'localhost:8080/api/v1/marts/dim_patients?limit=2'
              curl -s localhost:8080/api/v1/marts/fact_patient_encounters.csv > encounters.csv
            """
    )

    @Option(name: .long, help: ArgumentHelp("State database written by `emr consume`.", valueName: "file"))
    var state: String

    @OptionGroup var httpOptions: HTTPOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        try OptionChecks.nonEmpty(state, "--state")
        guard httpOptions.address != nil else { throw ValidationError("--http HOST:PORT (or EMR_HTTP) is required") }
    }

    func run() async throws {
        let logger = logging.makeLogger("emr.serve")
        // Refuse a missing, foreign or outdated file at start rather than on every request.
        try StateStore(readingExisting: state, migrations: MartSchema.migrations).database.close()
        let status = ServiceStatus(), metrics = ServiceMetrics()
        let http = HTTPService(address: httpOptions.address!, routes: APIRoutes(status: status, metrics: metrics, reader: StateReader(path: state)),
                               token: try httpOptions.token(), logger: logger)
        try await ServiceRunner.run([.init(service: http)], logger: logger)
    }
}
