import ArgumentParser
import Foundation
import Synthea

/// `emr generate`: a reproducible Synthea-format export for the demo and benchmarks.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a Synthea 3.x-format CSV export of N patients from a seed (reproducible byte for byte).",
        discussion: """
            Writes patients, encounters, conditions, medications, organizations, providers and \
            payers .csv into --out. The same options always give the same bytes.

            Examples:
              emr generate --out demo-out/export --patients 200
              emr generate --out /tmp/big --patients 100000 --organizations 400 --seed 7
              emr generate --out /export --keep-existing   # containers: a mounted export is kept
            """
    )

    @Option(name: .long, help: ArgumentHelp("Directory to write the export into.", valueName: "dir"))
    var out: String

    @Option(name: .long, help: "Number of patients.")
    var patients: Int = 200

    @Option(name: .long, help: "Number of organizations (facilities).")
    var organizations: Int = 25

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "First year with encounters.")
    var startYear: Int = 2008

    @Option(name: .long, help: "Last year with encounters.")
    var endYear: Int = 2025

    @Flag(name: .long, help: "Do nothing when --out already holds an export (patients.csv): a user's own export mounted there is kept.")
    var keepExisting = false

    func validate() throws {
        try OptionChecks.nonEmpty(out, "--out")
        try OptionChecks.check(patients, "--patients", 1...10_000_000)
        try OptionChecks.check(organizations, "--organizations", 1...1_000_000)
        guard (1900...2200).contains(startYear), startYear <= endYear, endYear <= 2200 else {
            throw ValidationError("--start-year must not be after --end-year (years 1900 to 2200)")
        }
    }

    func run() throws {
        if keepExisting, FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("patients.csv")) {
            print("kept the export already in \(out) (--keep-existing)")
            return
        }
        let options = GeneratorOptions(patients: patients, organizations: organizations, seed: seed, startYear: startYear, endYear: endYear)
        let started = ContinuousClock.now
        let interactive = isatty(STDERR_FILENO) == 1
        let summary = try ExportGenerator(options: options).write(to: out) { done in
            if interactive {
                FileHandle.standardError.write(Data("\r\u{1B}[Kgenerate: \(done)/\(options.patients) patients".utf8))
            }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        let rows = ["patients", "encounters", "conditions", "medications", "organizations", "providers", "payers"]
            .map { "\($0) \(summary.rows[$0] ?? 0)" }.joined(separator: ", ")
        print(String(format: "generated %@ in %.2f s (seed %llu): %@", out, (ContinuousClock.now - started).seconds, seed, rows))
    }
}
