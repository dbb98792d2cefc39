import Foundation
import Marts

/// The dashboard report as JSON (`GET /api/v1/report`): the same names the page uses, exact
/// money as decimal strings.
enum ReportJSON {
    static func object(_ r: DashboardReport) -> [String: Any] {
        func groups(_ list: [DashboardReport.Group], key: String) -> [[String: Any]] {
            list.map { g in [key: g.label, "total": NSNumber(value: g.total),
                             "counts": g.counts.map { ["label": $0.label, "value": NSNumber(value: $0.value)] }] }
        }
        return [
            "from": r.range.from ?? NSNull(), "to": r.range.to ?? NSNull(),
            "encounters": NSNumber(value: r.encounters), "patients": NSNumber(value: r.patients), "total_claim_cost": r.totalClaimCost,
            "classes": r.classes.map { c -> [String: Any] in
                ["encounter_class": c.encounterClass, "encounters": NSNumber(value: c.encounters), "patients": NSNumber(value: c.patients),
                 "total_claim_cost": c.totalClaimCost, "readmissions": NSNumber(value: c.readmissions),
                 "readmission_rate_percent": NSNumber(value: c.readmissionRatePercent),
                 "average_length_of_stay_days": c.averageLengthOfStayDays.map { NSNumber(value: $0) } ?? NSNull()]
            },
            "classes_by_age_group": groups(r.classesByAgeGroup, key: "age_group"),
            "top_medications_by_age_group": groups(r.topMedications, key: "medication"),
            "months_of_year": groups(r.monthsOfYear, key: "month"),
            "top_diagnoses_by_class": groups(r.topDiagnoses, key: "encounter_class"),
        ]
    }
}
