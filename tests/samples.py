"""Sample concerns the tests raise: an adult modern slavery subject and a Prevent subject."""

ADULT = {
    "summary": "Seen sleeping at the car wash; says she is not paid.",
    "subject_given_names": "Maria",
    "subject_family_name": "Kowalska",
    "subject_date_of_birth": "1990-01-01",
    "subject_estimated_age": None,
    "nationality": "Polish",
}
PREVENT_SUBJECT = {
    "summary": "Shares extremist videos with classmates.",
    "subject_given_names": "Daniel",
    "subject_family_name": "Hughes",
    "subject_date_of_birth": "1999-03-02",
    "subject_estimated_age": None,
    "concerns": "Talks of travelling abroad to fight.",
}

# The lawful basis a disclosing step records (issue 15: refer_to_mash, submit_referral,
# submit_concern, request_information).
LAWFUL_BASIS_STEP = {
    "art6_basis": "uk_gdpr_6_1_e",
    "special_category_shared": "yes",
    "special_category_condition": "dpa_2018_sch1_para18",
    "sharing_reason": "The child is at risk of significant harm.",
    "shared_what": "The referral form.",
    "shared_with": "Northtown MASH",
}
