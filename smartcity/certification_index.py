"""The Smart City Certification Index as first loaded (migration 0002_certification).

Categories and sub-categories follow "Table 1. Smart City Certification Index in Korea" of the
menu board / living lab report (seed 004): service · technology-infrastructure, governance ·
institution and innovation. The report gives no points; the points and thresholds below are
our starting values (a pass needs 60 % of each category and 70 of 100 in total), kept in the
database so that a later index is a new row, not a code change. The service index adapts the same three categories to one service.
"""

# (kind, name, name_ko, overall threshold, [(category, category_ko, threshold, [(item, item_ko, points)])])
INDEXES = [
    (
        "city",
        "Smart City Certification Index (cities)",
        "스마트도시 인증 지표(도시)",
        70,
        [
            (
                "Service · technology infrastructure",
                "서비스·기술인프라",
                24,
                [
                    ("Intelligent facilities and services", "지능화 시설 및 서비스", 16),
                    ("Information and communication network", "정보통신망", 8),
                    ("Urban integrated operations center", "도시통합운영센터", 8),
                    ("Eco-friendly technology infrastructure", "친환경 기술인프라", 8),
                ],
            ),
            (
                "Governance · institution",
                "거버넌스·제도",
                18,
                [
                    ("Propulsion system (smart city body and council)", "추진체계(전담조직·협의회)", 8),
                    ("Institutional base", "제도 기반", 8),
                    ("Participating network", "참여 네트워크", 7),
                    ("Resource creation (budget)", "재원 조달", 7),
                ],
            ),
            (
                "Innovation",
                "혁신성",
                18,
                [
                    ("Public capacity", "공공 역량", 7),
                    ("Civilian citizenship", "시민 역량", 8),
                    ("Corporate sector", "기업 역량", 7),
                    ("Information disclosure and utilization", "정보 공개 및 활용", 8),
                ],
            ),
        ],
    ),
    (
        "service",
        "Smart City Certification Index (services)",
        "스마트도시 인증 지표(서비스)",
        70,
        [
            (
                "Service · technology infrastructure",
                "서비스·기술인프라",
                24,
                [
                    ("Service function and performance", "서비스 기능 및 성능", 20),
                    ("Technology and interoperability", "기술 및 상호운용성", 10),
                    ("Infrastructure and data link", "인프라 및 데이터 연계", 10),
                ],
            ),
            (
                "Governance · institution",
                "거버넌스·제도",
                18,
                [
                    ("Operation and maintenance system", "운영·유지관리 체계", 10),
                    ("Compliance (privacy, safety)", "제도 준수(개인정보·안전)", 10),
                    ("Sustainable funding", "재원 지속가능성", 10),
                ],
            ),
            (
                "Innovation",
                "혁신성",
                18,
                [
                    ("Citizen participation and feedback", "시민 참여 및 환류", 10),
                    ("Novelty and effect", "새로움 및 효과", 10),
                    ("Data openness and utilization", "데이터 개방 및 활용", 10),
                ],
            ),
        ],
    ),
]


def load_indexes(apps, schema_editor=None):
    """Create the two indexes (a data migration calls this with its historical ``apps``)."""
    Index = apps.get_model("smartcity", "CertificationIndex")
    Category = apps.get_model("smartcity", "IndexCategory")
    Item = apps.get_model("smartcity", "IndexItem")
    for kind, name, name_ko, overall, categories in INDEXES:
        if Index.objects.filter(kind=kind).exists():
            continue
        index = Index.objects.create(kind=kind, name=name, name_ko=name_ko, overall_threshold=overall)
        for position, (cat_name, cat_ko, threshold, items) in enumerate(categories):
            category = Category.objects.create(
                index=index, name=cat_name, name_ko=cat_ko, position=position, pass_threshold=threshold
            )
            for item_position, (item_name, item_ko, points) in enumerate(items):
                Item.objects.create(
                    category=category,
                    name=item_name,
                    name_ko=item_ko,
                    position=item_position,
                    max_points=points,
                )
