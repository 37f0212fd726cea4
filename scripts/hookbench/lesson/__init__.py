"""docs/LESSON-ANSWERS.md, the answer key of docs/LESSON.md, as scripts/lesson_answers.py writes
it: commands (the lesson's marked commands and its units), model (the calibration's constants and
closed forms, the binary), roles (the modes each exercise uses, from the descriptors), advice and
text (reading and formatting `advise --json`), exercises and exercises_more (one writer per
exercise) and render (the whole key)."""
