import ArgumentParser
import Foundation
import Service
import Marts
import State

/// `emr serve`: the read-only HTTP API over an existing state file, without consuming.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the read-only marts API and probes over an existing state file or state directories (no consuming).",
        discussion: """
            For a snapshot, or beside a consumer in another process (every request reads its own \
            WAL snapshot, so it never blocks the consumer). Same routes as `emr consume --http`; \
            /readyz answers 200 once serving. SIGTERM/SIGINT stop it (exit 0). With --state-dir \
            (repeatable) it serves the merge of the directories' task files, each task from the \
            directory where it is furthest along, as `emr export --state-dir` does (merged again \
            at most once a second while the files change).

            Examples:
              emr serve --state state.sqlite --http 127.0.0.1:8080
              curl -s localhost:8080/api/v1/marts | jq .
              curl -s 'localhost:8080/api/v1/marts/dim_patients?limit=2'
              curl -s localhost:8080/api/v1/marts/fact_patient_encounters.csv > encounters.csv
              emr serve --state-dir /data/emr-a --state-dir /data/emr-b --http 127.0.0.1:8080
            """
    )

    @OptionGroup var source: StateSourceOptions

    @OptionGroup var httpOptions: HTTPOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard httpOptions.address != nil else { throw ValidationError("--http HOST:PORT (or EMR_HTTP) is required") }
    }

    func run() async throws {
        let logger = logging.makeLogger("emr.serve")
        let reader: StateReader, merged: MergedStateCache?
        if let state = source.state {
            // Refuse a missing, foreign or outdated file at start rather than on every request.
            try StateStore(readingExisting: state, migrations: MartSchema.migrations).database.close()
            (reader, merged) = (StateReader(path: state), nil)
        } else {
            let cache = try MergedStateCache(source: TaskDirectorySource(directories: source.stateDirectories))
            (reader, merged) = (StateReader(merging: cache, description: MergedState.describe(source.stateDirectories)), cache)
            // Refuse directories without task files, or files that do not merge, at start.
            if try TaskFiles.furthest(in: source.stateDirectories).isEmpty { throw MergedState.NoTaskFilesError(directories: source.stateDirectories) }
            _ = try cache.currentPath()
        }
        defer { merged?.close() }
        let status = ServiceStatus(), metrics = ServiceMetrics()
        let http = HTTPService(address: httpOptions.address!, routes: APIRoutes(status: status, metrics: metrics, reader: reader),
                               token: try httpOptions.token(), logger: logger)
        try await ServiceRunner.run([.init(service: http)], logger: logger)
    }
}
