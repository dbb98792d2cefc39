import ArgumentParser
import Foundation
import Marts
import State

extension ExportFormat: ExpressibleByArgument {}

/// `emr export`: a consistent snapshot of the marts.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a consistent, point-in-time copy of every mart.",
        discussion: """
            JSON Lines: one <mart>.jsonl per mart, an object per row with the spec's column names in \
            column order, integers and doubles as numbers, exact money and dates as strings. \
            SQLite: marts.sqlite with a table per mart (declared column types, the grain as \
            primary key) and the manifest as tables (manifest, manifest_offsets, manifest_marts). \
            CSV (spec section 9): one <mart>.csv per mart with a header row (grain columns \
            first), RFC 4180 quoting, null as an empty field, dates YYYY-MM-DD, timestamps \
            YYYY-MM-DDTHH:MM:SSZ, money in plain decimal notation, and manifest.json naming the \
            offset of every partition the snapshot reflects. Everything is read in one \
            transaction, so the files agree with each other also while a consumer is writing. \
            The files are written into a temporary directory beside --out and renamed into place \
            when complete: a failed export leaves nothing behind. A non-empty --out is refused \
            unless --force. The state file is opened read-only (a read-only mount is fine).

            De-identified (--deidentify --pseudonym-key-file KEY), by the HIPAA Safe Harbor method \
            (45 CFR 164.514(b)(2)): patient and encounter ids become HMAC-SHA-256 pseudonyms \
            (the same in every mart, so joins work; the key is never printed); dim_patients \
            loses names, street address, city, county, FIPS, birthplace and coordinates, and \
            keeps three ZIP digits (000 for the 17 restricted areas); dates and times about a \
            patient keep their year; ages above 89 become 90 and such birth years null; aggregate \
            rows with a count from 1 to 10 have counts and measures nulled (suppressed = 1). \
            Organizations, providers and code lists are exported as they are. The manifest says \
            the export is de-identified and lists the rules.

            Examples:
              emr export --state state.sqlite --format csv --out export/
              emr export --state state.sqlite --format jsonl --out export-jsonl/
              emr export --state state.sqlite --format sqlite --out export-db/ && sqlite3 export-db/marts.sqlite .tables
              emr export --state-dir node-a --state-dir node-b --out merged/   # instances of one group, merged
              head -c 32 /dev/urandom | base64 > pseudonym.key
              emr export --state state.sqlite --deidentify --pseudonym-key-file pseudonym.key --out export-deid/
            """
    )


    @OptionGroup var source: StateSourceOptions

    @Option(name: .long, help: "Output format: csv, jsonl (an object per row) or sqlite (marts.sqlite, a typed table per mart).")
    var format: ExportFormat = .csv

    @Option(name: .long, help: ArgumentHelp("Output directory (created when missing; must be empty unless --force).", valueName: "dir"))
    var out: String

    @Flag(name: .long, help: "Replace a non-empty --out directory (swapped out only once the new export is complete).")
    var force = false

    @Flag(name: .long, help: "De-identify by the HIPAA Safe Harbor method (needs --pseudonym-key-file).")
    var deidentify = false

    @Option(name: .customLong("pseudonym-key-file"), help: ArgumentHelp("Secret key (at least 16 bytes) for the patient and encounter pseudonyms of --deidentify.", valueName: "file"))
    var pseudonymKeyFile: String?

    func validate() throws {
        try OptionChecks.nonEmpty(out, "--out")
        if deidentify && pseudonymKeyFile == nil {
            throw ValidationError("--deidentify needs --pseudonym-key-file FILE (a secret of at least \(PseudonymKey.minimumBytes) bytes, e.g. head -c 32 /dev/urandom | base64 > FILE)")
        }
        if !deidentify && pseudonymKeyFile != nil { throw ValidationError("--pseudonym-key-file goes with --deidentify") }
        _ = try key()
    }

    /// The pseudonym key (a usage error when unreadable or too short; never printed).
    func key() throws -> PseudonymKey? {
        guard deidentify, let pseudonymKeyFile else { return nil }
        do { return try PseudonymKey(file: pseudonymKeyFile) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let today = Int64(Date().timeIntervalSince1970) / 86_400
        let safeHarbor = try key().map { SafeHarbor(key: $0, referenceDay: today) }
        func export(_ store: StateStore) throws -> ExportSummary {
            try MartExporter(database: store.database, source: source.state ?? MergedState.describe(source.stateDirectories)).export(format, to: out, replace: force, safeHarbor: safeHarbor)
        }
        let summary = try source.state.map { try export(try StateStore(readingExisting: $0, migrations: MartSchema.migrations)) }
            ?? MergedState.read(source.stateDirectories, export)
        let total = summary.rows.values.reduce(0, +)
        print("export: \(summary.rows.count) marts, \(total) rows, \(summary.offsets.count) partition offsets -> \(out)/ (manifest.json)")
    }
}
