-- An automatic step that waits for an external completion (an order carried out on a network
-- element): its task stays 'waiting' with the key the completion will name, and no transaction is
-- held meanwhile. The key finds the task in one index probe (engine.completeWaiting / failWaiting).
ALTER TABLE wf_task ADD COLUMN resume_key text;
CREATE UNIQUE INDEX wf_task_resume_key_idx ON wf_task (resume_key) WHERE status = 'waiting';
