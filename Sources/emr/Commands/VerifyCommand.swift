import ArgumentParser
import Marts
import State

/// `emr verify`: batch recomputation diffed against the incremental marts.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every mart from the current versions and diff it against the incremental marts.",
        discussion: """
            Runs each mart's batch definition (plain SQL over the deduplicated current-version \
            tables) in one read snapshot and compares it row for row and value for value with \
            the incrementally maintained table. Prints one line per mart; exits 1 on any \
            difference. Safe while a consumer is writing.

            Examples:
              emr verify --state state.sqlite
              emr verify --state-dir node-a --state-dir node-b   # every task file, the copy furthest along
            """
    )

    @OptionGroup var source: StateSourceOptions

    func run() throws {
        guard let state = source.state else { return try verifyTasks() }
        let store = try StateStore(readingExisting: state, migrations: MartSchema.migrations)
        let results = try MartVerifier(database: store.database).verify()
        for result in results {
            let status = result.matches ? "ok" : "DIFFERS: \(result.missing) rows missing, \(result.unexpected) unexpected"
            print("\(result.mart.padding(toLength: 42, withPad: " ", startingAt: 0)) \(String(result.rows).leftPad(8)) rows  \(status)")
            for example in result.examples { print("    \(example)") }
        }
        let failed = results.filter { !$0.matches }
        if !failed.isEmpty {
            throw RuntimeFailure("\(failed.count) of \(results.count) marts, summaries and checks differ from their batch definition")
        }
        let marts = results.filter { MartCatalog.named($0.mart) != nil }.count
        let summaries = results.filter { ReportSummaries.names.contains($0.mart) }.count
        print("verify: all \(marts) marts equal their batch definition (and the \(summaries) dashboard summaries and the encounter chains theirs; each natural key is stored once, under its hash)")
    }

    /// `--state-dir`: each task file that an export would use (the copy furthest along), on
    /// its own: a line per task, the differences of any that fails.
    private func verifyTasks() throws {
        let files = try TaskFiles.furthest(in: source.stateDirectories)
        guard !files.isEmpty else { throw MergedState.NoTaskFilesError(directories: source.stateDirectories) }
        var failed = 0
        for file in files {
            let store = try StateStore(readingExisting: file, migrations: MartSchema.migrations)
            defer { store.close() }
            let results = try MartVerifier(database: store.database).verify()
            let differing = results.filter { !$0.matches }
            print("\(file): \(differing.isEmpty ? "ok (\(results.count) marts, summaries and checks)" : "\(differing.count) DIFFER")")
            for result in differing {
                print("    \(result.mart): \(result.missing) rows missing, \(result.unexpected) unexpected")
                for example in result.examples { print("      \(example)") }
            }
            if !differing.isEmpty { failed += 1 }
        }
        if failed > 0 { throw RuntimeFailure("\(failed) of \(files.count) task files differ from their batch definitions") }
        print("verify: all \(files.count) task files equal their batch definitions")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
