"""Coded values for clinic records. Stored codes are stable; labels may be reworded."""

from django.db import models


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Language(models.TextChoices):
    EN = "en", "English"
    NL = "nl", "Nederlands"
    FR = "fr", "Français"
    ES = "es", "Español"


class PrimaryTumour(models.TextChoices):
    LUNG = "lung", "Lung"
    BREAST = "breast", "Breast"
    PROSTATE = "prostate", "Prostate"
    COLORECTAL = "colorectal", "Colorectal"
    KIDNEY = "kidney", "Kidney"
    BLADDER = "bladder", "Bladder"
    MYELOMA = "myeloma", "Myeloma"
    MELANOMA = "melanoma", "Melanoma"
    GYNAECOLOGICAL = "gynaecological", "Gynaecological"
    UPPER_GI = "upper_gi", "Oesophagus or stomach"
    HEAD_NECK = "head_neck", "Head and neck"
    UNKNOWN_PRIMARY = "unknown_primary", "Unknown primary"
    OTHER = "other", "Other"


class MetastaticSite(models.TextChoices):
    BONE = "bone", "Bone"
    SPINE = "spine", "Spine"
    BRAIN = "brain", "Brain"
    LIVER = "liver", "Liver"
    LUNG = "lung", "Lung"
    LYMPH_NODES = "nodes", "Lymph nodes"
    PERITONEUM = "peritoneum", "Peritoneum"
    ADRENAL = "adrenal", "Adrenal"
    OTHER = "other", "Other"


class VitalStatus(models.TextChoices):
    ALIVE = "alive", "Alive"
    DEAD = "dead", "Deceased"


class Indication(models.TextChoices):
    PAIN = "pain", "Pain (bone metastases)"
    BLEEDING = "bleeding", "Bleeding (haemostatic)"
    MSCC = "mscc", "Spinal cord compression"
    OBSTRUCTION = "obstruction", "Obstruction"
    BRAIN = "brain", "Brain metastases"
    OTHER = "other", "Other"


class Technique(models.TextChoices):
    CONVENTIONAL = "conventional", "Conventional EBRT"
    SBRT = "sbrt", "SBRT / SRS"
    IMRT = "imrt", "IMRT / VMAT"
    BRACHYTHERAPY = "brachy", "Brachytherapy"


class Schedule(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    TWICE_DAILY = "bid", "Twice daily"


class StopReason(models.TextChoices):
    DETERIORATION = "deterioration", "Clinical deterioration"
    DEATH = "death", "Death"
    PATIENT_CHOICE = "patient_choice", "Patient's choice"
    TOXICITY = "toxicity", "Toxicity"
    OTHER = "other", "Other"


class ProcedureKind(models.TextChoices):
    DRAINAGE = "drainage", "Drainage"
    SHUNT = "shunt", "Shunt"
    STENT = "stent", "Stent"
    VERTEBROPLASTY = "vertebroplasty", "Vertebroplasty / kyphoplasty"
    ABLATION = "ablation", "Ablation"
    EMBOLISATION = "embolisation", "Embolisation"
    SURGERY = "surgery", "Surgery"
    GASTROSTOMY = "gastrostomy", "Gastrostomy"
    OTHER = "other", "Other"


class EpisodeKind(models.TextChoices):
    BLEEDING = "bleeding", "Bleeding"
    BOWEL_OBSTRUCTION = "bowel_obstruction", "Malignant bowel obstruction"
    MSCC = "mscc", "Spinal cord compression"
    EFFUSION = "effusion", "Effusion"
    OTHER = "other", "Other"


class EpisodeManagement(models.TextChoices):
    CONSERVATIVE = "conservative", "Conservative / medical"
    RADIOTHERAPY = "radiotherapy", "Radiotherapy"
    SURGERY = "surgery", "Surgery"
    STENT = "stent", "Stent"
    DRAINAGE = "drainage", "Drainage"
    EMBOLISATION = "embolisation", "Embolisation"
    OTHER = "other", "Other"


class Relationship(models.TextChoices):
    PARTNER = "partner", "Partner"
    CHILD = "child", "Son or daughter"
    PARENT = "parent", "Parent"
    SIBLING = "sibling", "Brother or sister"
    FRIEND = "friend", "Friend"
    OTHER = "other", "Other"


class Route(models.TextChoices):
    ORAL = "oral", "Oral"
    TRANSDERMAL = "transdermal", "Transdermal patch"
    SUBCUTANEOUS = "sc", "Subcutaneous"
    INTRAVENOUS = "iv", "Intravenous"


class DoseUnit(models.TextChoices):
    MG = "mg", "mg"
    MCG = "mcg", "microgram"
    MCG_PER_HOUR = "mcg/h", "microgram per hour (patch)"
