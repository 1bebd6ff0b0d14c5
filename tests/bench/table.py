"""The table every bench prints: one row a figure, ``what | measured | budget | met``."""


def row(what, measured, budget="", met=None):
    """A row; ``met`` None: no budget of its own, there to explain the others."""
    return {"what": what, "measured": measured, "budget": budget, "met": met}


def print_table(rows):
    width = max(len(r["what"]) for r in rows)
    measured = max(len(r["measured"]) for r in rows)
    budget = max(len(r["budget"]) for r in rows)
    print(f"{'what':<{width}} | {'measured':<{measured}} | {'budget':<{budget}} | met")
    print(f"{'-' * width}-|-{'-' * measured}-|-{'-' * budget}-|-{'-' * 7}")
    for r in rows:
        met = "-" if r["met"] is None else ("met" if r["met"] else "NOT MET")
        print(f"{r['what']:<{width}} | {r['measured']:<{measured}} | {r['budget'] or '-':<{budget}} | {met}")
