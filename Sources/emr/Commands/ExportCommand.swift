import ArgumentParser
import Marts
import State

extension ExportFormat: ExpressibleByArgument {}

/// `emr export`: a consistent snapshot of the marts.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a consistent, point-in-time copy of every mart.",
        discussion: """
            JSON Lines: one <mart>.jsonl per mart, an object per row with the spec's column names in
            column order, integers and doubles as numbers, exact money and dates as strings.
            SQLite: marts.sqlite with a table per mart (declared column types, the grain as
            primary key) and the manifest as tables (manifest, manifest_offsets, manifest_marts).
            CSV (spec section 9): one <mart>.csv per mart with a header row (grain columns
            first), RFC 4180 quoting, null as an empty field, dates YYYY-MM-DD, timestamps
            YYYY-MM-DDTHH:MM:SSZ, money in plain decimal notation, and manifest.json naming the
            offset of every partition the snapshot reflects. Everything is read in one
            transaction, so the files agree with each other also while a consumer is writing.
            The files are written into a temporary directory beside --out and renamed into place
            when complete: a failed export leaves nothing behind. A non-empty --out is refused
            unless --force. The state file is opened read-only (a read-only mount is fine).

            Examples:
              emr export --state state.sqlite --format csv --out export/
              emr export --state state.sqlite --format jsonl --out export-jsonl/
              emr export --state state.sqlite --format sqlite --out export-db/ && sqlite3 export-db/marts.sqlite .tables
            """
    )


    @Option(name: .long, help: ArgumentHelp("State database written by `emr consume`.", valueName: "file"))
    var state: String

    @Option(name: .long, help: "Output format: csv, jsonl (an object per row) or sqlite (marts.sqlite, a typed table per mart).")
    var format: ExportFormat = .csv

    @Option(name: .long, help: ArgumentHelp("Output directory (created when missing; must be empty unless --force).", valueName: "dir"))
    var out: String

    @Flag(name: .long, help: "Replace a non-empty --out directory (swapped out only once the new export is complete).")
    var force = false

    func validate() throws {
        try OptionChecks.nonEmpty(state, "--state")
        try OptionChecks.nonEmpty(out, "--out")
    }

    func run() throws {
        let store = try StateStore(readingExisting: state, migrations: MartSchema.migrations)
        let summary = try MartExporter(database: store.database).export(format, to: out, replace: force)
        let total = summary.rows.values.reduce(0, +)
        print("export: \(summary.rows.count) marts, \(total) rows, \(summary.offsets.count) partition offsets -> \(out)/ (manifest.json)")
    }
}
