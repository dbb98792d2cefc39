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
            """
    )

    @Option(name: .long, help: ArgumentHelp("State database written by `emr consume`.", valueName: "file"))
    var state: String

    func validate() throws {
        try OptionChecks.nonEmpty(state, "--state")
    }

    func run() throws {
        let store = try StateStore(readingExisting: state, migrations: MartSchema.migrations)
        let results = try MartVerifier(database: store.database).verify()
        for result in results {
            let status = result.matches ? "ok" : "DIFFERS: \(result.missing) rows missing, \(result.unexpected) unexpected"
            print("\(result.mart.padding(toLength: 42, withPad: " ", startingAt: 0)) \(String(result.rows).leftPad(8)) rows  \(status)")
            for example in result.examples { print("    \(example)") }
        }
        let failed = results.filter { !$0.matches }
        if !failed.isEmpty {
            throw RuntimeFailure("\(failed.count) of \(results.count) marts and summaries differ from their batch definition")
        }
        let marts = results.filter { !ReportSummaries.names.contains($0.mart) }.count
        print("verify: all \(marts) marts equal their batch definition (and the \(results.count - marts) dashboard summaries theirs)")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
