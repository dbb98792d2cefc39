/// Code and description tables for generated records, built from facts seen in real Synthea
/// exports (SNOMED CT encounter and condition codes, RxNorm medication codes, typical costs).
enum CodeTables {
    struct EncounterType {
        let code: String
        let description: String
        let baseCents: Int64
    }

    static let encounterTypes: [String: [EncounterType]] = [
        "wellness": [EncounterType(code: "162673000", description: "General examination of patient (procedure)", baseCents: 13_680),
                     EncounterType(code: "410620009", description: "Well child visit (procedure)", baseCents: 13_680)],
        "ambulatory": [EncounterType(code: "185347001", description: "Encounter for problem (procedure)", baseCents: 8_555),
                       EncounterType(code: "390906007", description: "Follow-up encounter (procedure)", baseCents: 8_555)],
        "outpatient": [EncounterType(code: "185349003", description: "Encounter for check up (procedure)", baseCents: 12_500),
                       EncounterType(code: "308335008", description: "Patient encounter procedure (procedure)", baseCents: 12_500)],
        "urgentcare": [EncounterType(code: "702927004", description: "Urgent care clinic (environment)", baseCents: 14_258)],
        "emergency": [EncounterType(code: "50849002", description: "Emergency room admission (procedure)", baseCents: 14_618)],
        "inpatient": [EncounterType(code: "183452005", description: "Encounter Inpatient", baseCents: 10_630),
                      EncounterType(code: "56876005", description: "Drug rehabilitation and detoxification (regime/therapy)", baseCents: 10_630)],
        "virtual": [EncounterType(code: "448337001", description: "Telemedicine consultation with patient (procedure)", baseCents: 7_500)],
        "snf": [EncounterType(code: "449411000124106", description: "Admission to skilled nursing facility (procedure)", baseCents: 11_200)],
        "hospice": [EncounterType(code: "305336008", description: "Admission to hospice (procedure)", baseCents: 9_800)],
    ]

    /// Classes of non-wellness encounters with their weights.
    static let encounterClasses: [(String, Int)] = [
        ("ambulatory", 40), ("outpatient", 20), ("urgentcare", 12), ("emergency", 10),
        ("inpatient", 8), ("virtual", 6), ("snf", 2),
    ]

    struct Condition {
        let code: String
        let description: String
        /// Chronic conditions stay active (empty STOP).
        let chronic: Bool
    }

    static let conditions: [Condition] = [
        Condition(code: "59621000", description: "Essential hypertension (disorder)", chronic: true),
        Condition(code: "714628002", description: "Prediabetes (finding)", chronic: true),
        Condition(code: "278860009", description: "Chronic low back pain (finding)", chronic: true),
        Condition(code: "1121000119107", description: "Chronic neck pain (finding)", chronic: true),
        Condition(code: "162864005", description: "Body mass index 30+ - obesity (finding)", chronic: true),
        Condition(code: "40055000", description: "Chronic sinusitis (disorder)", chronic: true),
        Condition(code: "53741008", description: "Coronary Heart Disease", chronic: true),
        Condition(code: "82423001", description: "Chronic pain", chronic: true),
        Condition(code: "80583007", description: "Severe anxiety (panic) (finding)", chronic: true),
        Condition(code: "271737000", description: "Anemia (disorder)", chronic: false),
        Condition(code: "444814009", description: "Viral sinusitis (disorder)", chronic: false),
        Condition(code: "195662009", description: "Acute viral pharyngitis (disorder)", chronic: false),
        Condition(code: "10509002", description: "Acute bronchitis (disorder)", chronic: false),
        Condition(code: "66383009", description: "Gingivitis (disorder)", chronic: false),
        Condition(code: "386661006", description: "Fever (finding)", chronic: false),
        Condition(code: "49727002", description: "Cough (finding)", chronic: false),
        Condition(code: "840539006", description: "COVID-19", chronic: false),
        Condition(code: "55680006", description: "Drug overdose", chronic: false),
        Condition(code: "72892002", description: "Normal pregnancy (finding)", chronic: false),
    ]

    /// Social findings recorded at wellness visits.
    static let findings: [Condition] = [
        Condition(code: "73595000", description: "Stress (finding)", chronic: false),
        Condition(code: "160903007", description: "Full-time employment (finding)", chronic: false),
        Condition(code: "160904001", description: "Part-time employment (finding)", chronic: false),
        Condition(code: "422650009", description: "Social isolation (finding)", chronic: false),
        Condition(code: "314529007", description: "Medication review due (situation)", chronic: false),
        Condition(code: "224299000", description: "Received higher education (finding)", chronic: true),
    ]

    struct Medication {
        let code: String
        let description: String
        let baseCents: Int64
        let chronic: Bool
    }

    static let medications: [Medication] = [
        Medication(code: "314076", description: "lisinopril 10 MG Oral Tablet", baseCents: 2, chronic: true),
        Medication(code: "310798", description: "Hydrochlorothiazide 25 MG Oral Tablet", baseCents: 1, chronic: true),
        Medication(code: "308136", description: "amLODIPine 2.5 MG Oral Tablet", baseCents: 3, chronic: true),
        Medication(code: "860975", description: "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", baseCents: 223, chronic: true),
        Medication(code: "314231", description: "Simvastatin 10 MG Oral Tablet", baseCents: 45, chronic: true),
        Medication(code: "895994", description: "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler", baseCents: 4_482, chronic: true),
        Medication(code: "309362", description: "Clopidogrel 75 MG Oral Tablet", baseCents: 53_537, chronic: true),
        Medication(code: "313782", description: "Acetaminophen 325 MG Oral Tablet", baseCents: 1_001, chronic: false),
        Medication(code: "209387", description: "Acetaminophen 325 MG Oral Tablet [Tylenol]", baseCents: 12_994, chronic: false),
        Medication(code: "856987", description: "Acetaminophen 300 MG / Hydrocodone Bitartrate 5 MG Oral Tablet", baseCents: 103_900, chronic: false),
        Medication(code: "1049625", description: "Acetaminophen 325 MG / Oxycodone Hydrochloride 10 MG Oral Tablet [Percocet]", baseCents: 29_753, chronic: false),
        Medication(code: "313988", description: "Furosemide 40 MG Oral Tablet", baseCents: 122, chronic: false),
        Medication(code: "2123111", description: "NDA020503 200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", baseCents: 83_198, chronic: false),
        Medication(code: "705129", description: "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray", baseCents: 1_544, chronic: false),
        Medication(code: "1736854", description: "Cisplatin 50 MG Injection", baseCents: 20_384, chronic: false),
    ]

    static let firstNames = ["Phil", "Norberto", "Elena", "Julio César", "Gabriel", "Terence", "Maria", "Aiko", "Fatima", "Liam",
                             "Olivia", "Noah", "Emma", "Mateo", "Sofía", "Chen", "Amara", "Jonas", "Zoë", "Ravi"]
    static let lastNames = ["Pacocha", "Paucek", "Pérez", "Reilly", "Brakus", "Smith", "Nguyen", "Okafor", "Schmidt", "Rossi",
                            "Kowalski", "Haley", "Block", "Lind", "Murphy", "O'Hara", "García", "Kim", "Larsen", "Dubois"]
    static let cities: [(String, String, String)] = [  // city, county, zip prefix
        ("Boston", "Suffolk County", "021"), ("Worcester", "Worcester County", "016"), ("Springfield", "Hampden County", "011"),
        ("Lowell", "Middlesex County", "018"), ("Cambridge", "Middlesex County", "021"), ("Fitchburg", "Worcester County", "014"),
        ("Quincy", "Norfolk County", "021"), ("Lynn", "Essex County", "019"), ("New Bedford", "Bristol County", "027"),
        ("Pittsfield", "Berkshire County", "012"),
    ]
    static let streets = ["Main Street", "Haley Spur", "Block Byway", "Walnut Ave", "Union Road", "Elm Court", "Harbor Way"]
    static let specialities = ["GENERAL PRACTICE", "GENERAL PRACTICE", "INTERNAL MEDICINE", "NURSE PRACTITIONER", "EMERGENCY MEDICINE", "PSYCHIATRY"]
    static let organizationKinds = ["Hospital", "Medical Center", "Outpatient Clinic", "Urgent Care", "Family Practice", "Health Center"]
    static let payers = ["Medicare", "Medicaid", "Blue Cross Blue Shield", "Aetna", "Cigna Health", "UnitedHealthcare",
                         "Humana", "Anthem", "Dual Eligible", "NO_INSURANCE"]
}
